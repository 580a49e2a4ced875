// The runs list's one query shape: equality filters (pipeline, status in, trigger, parentRunId), a
// range on startedAt, ordered newest first by startedAt then document id (= runId). Every list,
// count and live view uses it, so the composite indexes in shared/firestore-indexes.ts (each filter
// combination followed by startedAt descending; the document id follows implicitly in the last
// field's direction) serve all of them and no query scans the collection. Cursors are the last
// run's (startedAt, runId), passed to startAfter: a run inserted while a caller pages is newer than
// its cursor, so it can never push a run already seen onto the next page.
import { FieldPath, type CollectionReference, type Query } from '@google-cloud/firestore';
import type { RunRecord } from './run-record';
import type { RunQuery } from './run-store';

// A query no list can answer (a bad limit, cursor or instant): the caller's to fix, never retried.
// The ops API answers it as invalid-request; matched by name like every error class.
export class RunQueryError extends Error {
  override name = 'RunQueryError';
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export function filteredRuns(runs: CollectionReference, q: Omit<RunQuery, 'limit' | 'cursor'>): Query {
  let query: Query = runs;
  if (q.pipeline) query = query.where('pipeline', '==', q.pipeline);
  if (q.status && q.status.length === 1) query = query.where('status', '==', q.status[0]);
  else if (q.status && q.status.length > 1) query = query.where('status', 'in', q.status);
  if (q.trigger) query = query.where('trigger', '==', q.trigger);
  if (q.parentRunId) query = query.where('parentRunId', '==', q.parentRunId);
  if (q.since) query = query.where('startedAt', '>=', instant(q.since, 'since'));
  if (q.until) query = query.where('startedAt', '<', instant(q.until, 'until'));
  return query.orderBy('startedAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
}

// The same query answered over runs in memory (live-run-index.ts): the filters as Firestore applies
// them (a run without startedAt is in no list, as Firestore leaves a document without the sort field
// out of an ordered query), and the list's order as a comparison.
export function matchesRunQuery(run: RunRecord, q: Omit<RunQuery, 'limit' | 'cursor'>): boolean {
  if (run.startedAt === undefined) return false;
  if (q.pipeline && run.pipeline !== q.pipeline) return false;
  if (q.status && q.status.length > 0 && !q.status.includes(run.status)) return false;
  if (q.trigger && run.trigger !== q.trigger) return false;
  if (q.parentRunId && run.parentRunId !== q.parentRunId) return false;
  if (q.since && run.startedAt < instant(q.since, 'since')) return false;
  if (q.until && run.startedAt >= instant(q.until, 'until')) return false;
  return true;
}

// Negative when `a` comes first in the list (newer; on equal starts, the greater run id).
export function compareListed(a: { startedAt: string; runId: string }, b: { startedAt: string; runId: string }): number {
  if (a.startedAt !== b.startedAt) return a.startedAt > b.startedAt ? -1 : 1;
  if (a.runId !== b.runId) return a.runId > b.runId ? -1 : 1;
  return 0;
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new RunQueryError(`limit: must be a whole number from 1 to ${MAX_PAGE}`);
  return Math.min(limit, MAX_PAGE);
}

interface CursorPosition { startedAt: string; runId: string }

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.runId]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { startedAt: value[0], runId: value[1] };
    }
  } catch {
    // Falls through to the error below: not JSON.
  }
  throw new RunQueryError('cursor: not a cursor this list returned');
}

// Instants are compared as the ISO strings runs store; a date alone means its midnight UTC.
function instant(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RunQueryError(`${field}: must be an ISO date or time`);
  return new Date(ms).toISOString();
}
