// How the runs list's fields (run-record.ts) are derived from what a run is told: pure functions, so
// the store computes them the same way on every write and tests can check them without Firestore.
import type { Redactor } from '../../shared/redact';
import type { RunStart } from './context';
import type { Actor, RunRecord } from './run-record';
import type { RunRetention } from './run-store';

export const DEFAULT_RETENTION: RunRetention = { runDays: 365, fileDays: 30 };
export const ERROR_SUMMARY_MAX = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

// The trigger's date when it named one, else the newest of the dates the run looks at.
export function logicalDateOf(start: Pick<RunStart, 'logicalDate' | 'dates'>): string | undefined {
  if (start.logicalDate) return start.logicalDate;
  return start.dates.length > 0 ? [...start.dates].sort().at(-1) : undefined;
}

// The scheduler and a source's own notification are the actors of their triggers whatever a message
// says; anything else is whoever the caller names (an operator's principal), or nobody known.
export function actorOf(trigger: string, given?: Actor): Actor | undefined {
  if (trigger === 'schedule') return 'scheduler';
  if (trigger === 'push') return 'push';
  return given;
}

// One line of at most ERROR_SUMMARY_MAX characters, scrubbed before it is cut (a cut could split a
// secret so that the redactor no longer recognises it).
export function errorSummaryOf(text: string, redactor: Redactor): string {
  const line = redactor.redact(text).replace(/\s+/g, ' ').trim();
  return line.length <= ERROR_SUMMARY_MAX ? line : `${line.slice(0, ERROR_SUMMARY_MAX - 1)}…`;
}

// finishedAt − startedAt (queued runs: from their queue time), for a run ending at `finishedAt`.
export function durationOf(run: Pick<RunRecord, 'startedAt' | 'createdAt'>, finishedAt: string): number {
  return Math.max(0, Date.parse(finishedAt) - Date.parse(run.startedAt ?? run.createdAt));
}

export function expiryAfter(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}
