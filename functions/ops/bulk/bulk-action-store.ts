// Bulk actions' own state in Firestore: one document per action in `sluice_bulk_actions` (request,
// progress, the cursor it has worked up to, a lease naming the one worker going through it), and one
// document per run it acted on in its `runs` subcollection. The run documents are what make a bulk
// action safe to work through again (a resume, a second start of the same request, two workers after
// a lease expired): a run with an ended entry is never acted on again. The only code that reads or
// writes that collection.
import { FieldValue, type Firestore, type Transaction } from '@google-cloud/firestore';
import type { BulkAction, BulkRequest, RunFilter } from '../api-schemas';

export const BULK_ACTIONS_COLLECTION = 'sluice_bulk_actions';
export const BULK_RUNS_SUBCOLLECTION = 'runs';
// Their TTL fields (expiresAt on both) are declared in shared/firestore-indexes.ts (BULK_TTL_FIELDS).
// What the record keeps of the new runs and the errors: enough to show, not a second run index.
export const MAX_RUN_IDS = 1000;
export const MAX_ERRORS = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const ALREADY_EXISTS = 6; // gRPC status of create() on an existing document

export interface BulkRecord {
  id: string;
  action: BulkRequest['action'];
  filter: RunFilter;
  rerun?: NonNullable<BulkRequest['rerun']>;
  // Runs started before this instant: the filter's own `until`, else when the action was first
  // started, so the runs a bulk rerun creates never join the set it is working through.
  until: string;
  // Runs started at or after this instant: set when a finished action without its own `until` is
  // started again and extended to the runs started since it last ran (its previous `until`).
  from?: string;
  status: 'running' | 'done';
  total: number;
  done: number;
  failed: number;
  actor: string;
  createdAt: string;
  updatedAt: string;
  // The runs list's cursor after the last page worked through; absent before the first.
  cursor?: string;
  lease?: { token: string; until: string };
  expiresAt?: Date;
}

// Where a run of the action stands: not yet touched, taken by a worker that may have died before it
// acted (`claimedAt`), or ended (acted on, or failed) — never to be acted on again.
export type RunClaim = { state: 'new' } | { state: 'claimed'; claimedAt: string } | { state: 'ended' };

export type RunOutcome = { ok: true; newRunId?: string } | { ok: false; message: string };

export interface BulkActionStore {
  // Records the action unless one of that id exists; returns the one that stands.
  create(record: Omit<BulkRecord, 'expiresAt'>): Promise<{ record: BulkRecord; created: boolean }>;
  get(id: string): Promise<BulkRecord | undefined>;
  // The action for this worker to go on with, or undefined when it is done or another worker holds
  // an unexpired lease.
  takeLease(id: string, token: string, until: Date): Promise<BulkRecord | undefined>;
  // After a page: where the worker got to (no cursor: the end, status done), the done/failed counts,
  // and the lease renewed.
  saveCursor(id: string, token: string, cursor: string | undefined, leaseUntil: Date): Promise<void>;
  releaseLease(id: string, token: string): Promise<void>;
  // A finished action goes on over the runs started in [from, until): running again, from the first
  // page, `added` more in its total. Only when it is still done and still ends at `from` (of two
  // callers extending it at once, one does); returns whether it did.
  extend(id: string, window: { from: string; until: string; added: number }): Promise<boolean>;
  // Takes a run for the action (a transaction: two workers never both get 'new').
  claimRun(id: string, runId: string): Promise<RunClaim>;
  // Ends a run's entry, once (a second call changes nothing).
  endRun(id: string, runId: string, outcome: RunOutcome): Promise<void>;
  // The wire view: the record with the new run ids and the errors from the entries (capped).
  view(id: string): Promise<BulkAction | undefined>;
}

const withoutUndefined = <T extends Record<string, unknown>>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

// The wire view (api-schemas.ts BulkAction) of a record.
export function bulkView(record: BulkRecord & { runIds?: string[]; errors?: BulkAction['errors'] }): BulkAction {
  return {
    id: record.id, action: record.action, filter: record.filter, status: record.status,
    total: record.total, done: record.done, failed: record.failed, actor: record.actor,
    createdAt: record.createdAt, updatedAt: record.updatedAt,
    ...(record.runIds && record.runIds.length > 0 ? { runIds: record.runIds } : {}),
    ...(record.errors && record.errors.length > 0 ? { errors: record.errors } : {}),
  };
}

export function createBulkActionStore(firestore: Firestore, options: { retentionDays?: number; now?: () => Date } = {}): BulkActionStore {
  const actions = firestore.collection(BULK_ACTIONS_COLLECTION);
  const now = options.now ?? (() => new Date());
  const expiry = () => new Date(now().getTime() + (options.retentionDays ?? 30) * DAY_MS);
  const runRef = (id: string, runId: string) => actions.doc(id).collection(BULK_RUNS_SUBCOLLECTION).doc(runId);
  const read = async (tx: Transaction, id: string) => (await tx.get(actions.doc(id))).data() as BulkRecord | undefined;

  return {
    async create(record) {
      return firestore.runTransaction(async (tx) => {
        const existing = await read(tx, record.id);
        if (existing) return { record: existing, created: false };
        const stored = withoutUndefined({ ...record, expiresAt: expiry() }) as BulkRecord;
        tx.create(actions.doc(record.id), stored);
        return { record: stored, created: true };
      });
    },

    async get(id) {
      return (await actions.doc(id).get()).data() as BulkRecord | undefined;
    },

    async takeLease(id, token, until) {
      const heldBy = (record: BulkRecord | undefined) => !record || record.status === 'done'
        || (record.lease && record.lease.token !== token && new Date(record.lease.until).getTime() > now().getTime());
      // Callers polling a running action mostly find it leased: a plain read answers them without a
      // transaction contending with the worker's.
      if (heldBy((await actions.doc(id).get()).data() as BulkRecord | undefined)) return undefined;
      return firestore.runTransaction(async (tx) => {
        const record = await read(tx, id);
        if (!record || heldBy(record)) return undefined;
        const lease = { token, until: until.toISOString() };
        tx.update(actions.doc(id), { lease });
        return { ...record, lease };
      });
    },

    async saveCursor(id, token, cursor, leaseUntil) {
      // Progress from the entries themselves (count queries): exact after any crash or resume.
      const entries = actions.doc(id).collection(BULK_RUNS_SUBCOLLECTION);
      const [done, failed] = await Promise.all([
        entries.where('status', '==', 'done').count().get(),
        entries.where('status', '==', 'failed').count().get(),
      ]);
      const counts = { done: done.data().count, failed: failed.data().count };
      await firestore.runTransaction(async (tx) => {
        const record = await read(tx, id);
        if (!record || record.lease?.token !== token) return; // the lease went to another worker: it records
        const at = now().toISOString();
        tx.update(actions.doc(id), cursor
          ? { ...counts, cursor, updatedAt: at, lease: { token, until: leaseUntil.toISOString() }, expiresAt: expiry() }
          : { ...counts, cursor: FieldValue.delete(), status: 'done', updatedAt: at, lease: FieldValue.delete(), expiresAt: expiry() });
      });
    },

    async extend(id, window) {
      return firestore.runTransaction(async (tx) => {
        const record = await read(tx, id);
        if (!record || record.status !== 'done' || record.until !== window.from) return false;
        tx.update(actions.doc(id), {
          status: 'running', from: window.from, until: window.until, total: record.total + window.added, cursor: FieldValue.delete(), updatedAt: now().toISOString(), expiresAt: expiry(),
        });
        return true;
      });
    },

    async releaseLease(id, token) {
      await firestore.runTransaction(async (tx) => {
        const record = await read(tx, id);
        if (record?.lease?.token === token) tx.update(actions.doc(id), { lease: FieldValue.delete() });
      });
    },

    async claimRun(id, runId) {
      // create() is the claim: of two workers, exactly one succeeds.
      const ref = runRef(id, runId);
      try {
        await ref.create({ status: 'claimed', claimedAt: now().toISOString(), expiresAt: expiry() });
        return { state: 'new' };
      } catch (error) {
        if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
      }
      const entry = (await ref.get()).data() as { status: 'claimed' | 'done' | 'failed'; claimedAt: string } | undefined;
      if (entry?.status === 'claimed') return { state: 'claimed', claimedAt: entry.claimedAt };
      return { state: 'ended' };
    },

    async endRun(id, runId, outcome) {
      // The run's entry only: runs end independently (no contention on the action's document); the
      // action's counts are counted from the entries after each page (saveCursor).
      const ref = runRef(id, runId);
      await firestore.runTransaction(async (tx) => {
        const entry = (await tx.get(ref)).data() as { status: string } | undefined;
        if (entry && entry.status !== 'claimed') return;
        tx.set(ref, withoutUndefined({
          status: outcome.ok ? 'done' : 'failed', endedAt: now().toISOString(),
          newRunId: outcome.ok ? outcome.newRunId : undefined, error: outcome.ok ? undefined : outcome.message,
        }), { merge: true });
      });
    },

    async view(id) {
      const record = (await actions.doc(id).get()).data() as BulkRecord | undefined;
      if (!record) return undefined;
      const entries = actions.doc(id).collection(BULK_RUNS_SUBCOLLECTION);
      const [done, failed] = await Promise.all([
        entries.where('status', '==', 'done').select('newRunId').limit(MAX_RUN_IDS).get(),
        entries.where('status', '==', 'failed').select('error').limit(MAX_ERRORS).get(),
      ]);
      return bulkView({
        ...record,
        runIds: done.docs.map((d) => (d.get('newRunId') as string | undefined) ?? d.id),
        errors: failed.docs.map((d) => ({ runId: d.id, message: String(d.get('error') ?? '') })),
      });
    },
  };
}
