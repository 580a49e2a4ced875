// What every alert says, whatever channel carries it (mail, webhook): what happened, the error summary,
// where to look (the dashboard link) and what to type to act on it (the exact CLI command). One shape
// for every kind, so each channel renders it once and no kind can forget the link or the hint.
import { DASHBOARD_PATH } from '../../ops/routes';

export type AlertKind = 'run-failed' | 'run-partial' | 'long-running' | 'missed-schedule' | 'destinations-failed' | 'report-query-failed' | 'dead-letter';

export interface Alert {
  kind: AlertKind;
  pipeline: string;
  // The run the alert is about; absent for a missed schedule (no run started).
  runId?: string;
  // One line: "pos run r-123 failed in load, 2026-11-30".
  title: string;
  // What went wrong, in a sentence or two (the run's error, what it waits on, the fire time missed).
  summary: string;
  // The dashboard page to look at; absent when no dashboard URL is configured.
  link?: string;
  // The CLI command that acts on it, with what it does: `npx sluice rerun r-123 --failed`.
  hint: { command: string; does: string };
}

// `https://ops.example/ui/` or `https://ops.example` → `https://ops.example/ui/#/runs/<runId>`: the
// dashboard is served under DASHBOARD_PATH of the ops function, and its pages are hash routes.
export function dashboardBase(dashboardUrl: string): string {
  const trimmed = dashboardUrl.replace(/\/+$/, '');
  const uiPath = DASHBOARD_PATH.replace(/\/+$/, '');
  return `${trimmed.endsWith(uiPath) ? trimmed : trimmed + uiPath}/`;
}

export function runLink(dashboardUrl: string | undefined, runId: string): string | undefined {
  return dashboardUrl ? `${dashboardBase(dashboardUrl)}#/runs/${encodeURIComponent(runId)}` : undefined;
}

export function pipelineLink(dashboardUrl: string | undefined, pipeline: string): string | undefined {
  return dashboardUrl ? `${dashboardBase(dashboardUrl)}#/pipelines/${encodeURIComponent(pipeline)}` : undefined;
}

// The commands, spelled as the `sluice` CLI takes them (ops/cli).
export const retryHints = {
  rerunFailed: (runId: string) => ({ command: `npx sluice rerun ${runId} --failed`, does: 'reruns the files that did not load' }),
  cancel: (runId: string) => ({ command: `npx sluice cancel ${runId}`, does: 'cancels the run (the file in progress finishes first)' }),
  trigger: (pipeline: string, date: string) => ({ command: `npx sluice trigger ${pipeline} --date ${date}`, does: 'runs the pipeline now for the date the schedule missed' }),
};
