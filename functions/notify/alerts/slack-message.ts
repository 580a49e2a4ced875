// An alert as Slack-compatible incoming-webhook JSON: `text` (what notifications and clients without
// blocks show) and `blocks` (a header, the summary, the link and the command). Slack's `mrkdwn` treats
// `&`, `<` and `>` as control characters, so values from outside (error messages, file names) are
// escaped; everything else posting to a "Slack-compatible" URL (Mattermost, Google Chat's adapter,
// Rocket.Chat) reads `text` alone.
import type { Alert } from './alert';

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

// Slack caps a section's text at 3000 characters and a header's at 150.
const SECTION_MAX = 3000;
const HEADER_MAX = 150;

const escapeMrkdwn = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

export function slackMessageOf(alert: Alert): SlackMessage {
  const lines = [alert.title, alert.summary, ...(alert.link ? [`Dashboard: ${alert.link}`] : []), `Retry: ${alert.hint.command} (${alert.hint.does})`];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(alert.title, HEADER_MAX) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(alert.summary), SECTION_MAX) } },
  ];
  if (alert.link) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${alert.link}|Open in the dashboard>` } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`\`${escapeMrkdwn(alert.hint.command)}\` ${escapeMrkdwn(alert.hint.does)}`, SECTION_MAX) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`sluice · ${alert.pipeline} · ${alert.kind}${alert.runId ? ` · ${alert.runId}` : ''}`) }] });
  return { text: lines.join('\n'), blocks };
}
