// The pure parts of alerts: the dashboard link and retry command every alert carries, the Slack
// message, the webhook's error fate, the long-running verdict and which schedule fire times are judged.
import { describe, expect, it } from 'vitest';
import { dashboardBase, pipelineLink, runLink } from '../../../functions/notify/alerts/alert';
import { fireTimesToJudge, missedRunDate, missedScheduleAlertOf, pausedAt, sweepIntervalMinutes } from '../../../functions/notify/alerts/missed-schedule';
import { endedRunAlertOf, failureAlertOf, isLongRunning, longRunningAlertOf } from '../../../functions/notify/alerts/run-alerts';
import { slackMessageOf } from '../../../functions/notify/alerts/slack-message';
import { webhookFailure } from '../../../functions/notify/destinations/webhook/post-webhook';
import type { RunRecord } from '../../../functions/runtime/run-record';
import { isPermanent } from '../../../shared/errors';
import { definePipeline } from '../../../shared/pipeline-definition';

const pipeline = definePipeline({
  name: 'pos',
  source: { kind: 'sftp', host: 'sftp.example', username: 'u', password: { secret: 'pw' }, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`, path: '/x/{yyyyMMdd}/', dateOffsetDays: -1 },
  imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
  database: { url: { secret: 'db' }, schema: 'pos' },
  schedule: { cron: '0 6 * * *', timeZone: 'Europe/Paris' },
  alerts: { to: ['ops@example.com'], missedScheduleMinutes: 30, longRunningMinutes: 60 },
  mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp' } },
  secrets: ['pw', 'db', 'smtp'],
});

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  runId: 'r-1', pipeline: 'pos', trigger: 'schedule', messageId: 'm', dates: [], status: 'running', createdAt: '2026-11-30T05:00:00.000Z', updatedAt: '2026-11-30T05:00:00.000Z',
  startedAt: '2026-11-30T05:00:00.000Z', expectedFiles: 1, endedFiles: 0, counts: { loaded: 0, skipped: 0, quarantined: 0, failed: 0, superseded: 0, expanded: 0, cancelled: 0 }, stages: {}, ...over,
});

describe('dashboard links', () => {
  it('point at the run or pipeline page under /ui/, whatever form the URL was given in', () => {
    for (const url of ['https://ops.example', 'https://ops.example/', 'https://ops.example/ui', 'https://ops.example/ui/']) {
      expect(dashboardBase(url)).toBe('https://ops.example/ui/');
    }
    expect(runLink('https://ops.example/ui/', 'r 1')).toBe('https://ops.example/ui/#/runs/r%201');
    expect(pipelineLink('https://ops.example', 'pos')).toBe('https://ops.example/ui/#/pipelines/pos');
    expect(runLink(undefined, 'r')).toBeUndefined();
  });
});

describe('run alerts', () => {
  it('carry the error, the link and the exact CLI command', () => {
    const failed = failureAlertOf({ pipeline: 'pos', runId: 'r-1', stage: 'load', error: 'relation missing', dashboardUrl: 'https://ops.example' });
    expect(failed).toMatchObject({ kind: 'run-failed', link: 'https://ops.example/ui/#/runs/r-1', hint: { command: 'npx sluice rerun r-1 --failed' } });
    expect(failed.summary).toContain('relation missing');
    // Nothing was fetched: rerun the whole run.
    expect(failureAlertOf({ pipeline: 'pos', runId: 'r-2', stage: 'fetch', error: 'refused' }).hint.command).toBe('npx sluice rerun r-2');
    const partial = endedRunAlertOf({ run: run({ status: 'partial', errorSummary: 'Orders.csv: row 3: bad date' }), runDate: '2026-11-29', badFiles: 1 });
    expect(partial).toMatchObject({ kind: 'run-partial', hint: { command: 'npx sluice rerun r-1 --failed' } });
    expect(partial.link).toBeUndefined();
    expect(partial.summary).toContain('row 3: bad date');
  });

  it('call a run long-running past the limit only while it can still move', () => {
    const now = new Date('2026-11-30T06:01:00.000Z');
    expect(isLongRunning(run(), 60, now)).toBe(true);
    expect(isLongRunning(run(), 61, now)).toBe(false);
    expect(isLongRunning(run({ status: 'cancelling' }), 60, now)).toBe(true);
    expect(isLongRunning(run({ status: 'failed' }), 60, now)).toBe(false);
    expect(isLongRunning(run({ startedAt: undefined }), 60, now)).toBe(true); // from its creation
    const alert = longRunningAlertOf({ run: run(), limitMinutes: 60, now, waitingOn: 'waiting on load' });
    expect(alert).toMatchObject({ kind: 'long-running', title: 'pos run r-1 has been running for 61 min', hint: { command: 'npx sluice cancel r-1' } });
  });
});

describe('missed schedules', () => {
  it('judges the fire times older than the grace and within the lookback, oldest first', () => {
    const schedule = { cron: '0 * * * *', timeZone: 'UTC', payload: {} };
    const fires = fireTimesToJudge(schedule, new Date('2026-11-30T10:30:00.000Z'), { graceMinutes: 30, lookbackMinutes: 150 });
    expect(fires.map((f) => f.toISOString())).toEqual(['2026-11-30T08:00:00.000Z', '2026-11-30T09:00:00.000Z', '2026-11-30T10:00:00.000Z']);
    // A fire time still inside its grace is not judged yet.
    expect(fireTimesToJudge(schedule, new Date('2026-11-30T10:29:59.000Z'), { graceMinutes: 30, lookbackMinutes: 60 }).map((f) => f.toISOString())).toEqual(['2026-11-30T09:00:00.000Z']);
    // In the schedule's time zone: 06:00 Paris is 05:00 UTC in winter.
    expect(fireTimesToJudge(pipeline.schedule!, new Date('2026-11-30T06:00:00.000Z'), { graceMinutes: 30, lookbackMinutes: 60 }).map((f) => f.toISOString())).toEqual(['2026-11-30T05:00:00.000Z']);
    expect(sweepIntervalMinutes('*/10 * * * *', new Date())).toBe(10);
  });

  it('does not count a fire time at which the pipeline was paused', () => {
    const fire = new Date('2026-11-30T05:00:00.000Z');
    expect(pausedAt({ pipeline: 'pos', paused: true, pausedAt: '2026-11-29T00:00:00.000Z' }, fire)).toBe(true);
    expect(pausedAt({ pipeline: 'pos', paused: true, pausedAt: '2026-11-30T07:00:00.000Z' }, fire)).toBe(false);
    expect(pausedAt({ pipeline: 'pos', paused: false, pausedAt: '2026-11-29T00:00:00.000Z', resumedAt: '2026-11-30T05:10:00.000Z' }, fire)).toBe(true);
    expect(pausedAt({ pipeline: 'pos', paused: false, pausedAt: '2026-11-29T00:00:00.000Z', resumedAt: '2026-11-30T04:00:00.000Z' }, fire)).toBe(false);
    expect(pausedAt({ pipeline: 'pos', paused: false }, fire)).toBe(false);
  });

  it('hints the trigger for the date the missed run would have fetched', () => {
    const fire = new Date('2026-11-30T05:00:00.000Z');
    expect(missedRunDate(pipeline, fire)).toBe('2026-11-29'); // Paris day, minus the source's one-day offset
    const alert = missedScheduleAlertOf({ pipeline, fire, graceMinutes: 30, dashboardUrl: 'https://ops.example/ui/' });
    expect(alert).toMatchObject({ kind: 'missed-schedule', link: 'https://ops.example/ui/#/pipelines/pos', hint: { command: 'npx sluice trigger pos --date 2026-11-29' } });
    expect(alert.runId).toBeUndefined();
  });
});

describe('the Slack message', () => {
  it('has the text for notifications and blocks with the summary, link and command, escaped', () => {
    const message = slackMessageOf(failureAlertOf({ pipeline: 'pos', runId: 'r-1', stage: 'load', error: 'value <nil> & more', dashboardUrl: 'https://ops.example' }));
    expect(message.text).toContain('Dashboard: https://ops.example/ui/#/runs/r-1');
    expect(message.text).toContain('Retry: npx sluice rerun r-1 --failed');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'pos run r-1 failed in load' } });
    expect(JSON.stringify(message.blocks)).toContain('value &lt;nil&gt; &amp; more');
    expect(JSON.stringify(message.blocks)).toContain('<https://ops.example/ui/#/runs/r-1|Open in the dashboard>');
    expect(JSON.stringify(message.blocks)).toContain('`npx sluice rerun r-1 --failed`');
  });
});

describe('webhook errors', () => {
  it('are permanent for a 4xx other than 429, transient for 429 and 5xx, and quote no secret', () => {
    expect(isPermanent(webhookFailure(400, 'invalid_payload'))).toBe(true);
    expect(isPermanent(webhookFailure(404, 'no_service'))).toBe(true);
    expect(isPermanent(webhookFailure(410, 'channel_is_archived'))).toBe(true);
    expect(isPermanent(webhookFailure(429, 'rate_limited'))).toBe(false);
    expect(isPermanent(webhookFailure(500, 'oops'))).toBe(false);
    expect(isPermanent(webhookFailure(503, ''))).toBe(false);
    expect(webhookFailure(400, 'invalid_payload').message).toBe('webhook answered HTTP 400 (invalid_payload); check the alerts.webhook.url secret and the channel it posts to');
  });
});
