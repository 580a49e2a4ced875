// The Firestore indexes and TTL policies the stores' queries need, as plain data: the Pulumi program
// declares one gcp.firestore.Index per composite index and one gcp.firestore.Field (ttlConfig) per TTL
// field from this list. The emulator needs neither (it answers every query and deletes nothing), so
// the store tests cannot catch a missing index: every query the RunStore makes is listed here with
// the index that serves it (test/shared/firestore-indexes.test.ts keeps the list and the query shape
// in step).
//
// The runs list (functions/runtime/run-list-query.ts) filters by equality on any of pipeline, status
// (`==` or `in`), trigger and parentRunId, optionally ranges over startedAt, and orders by startedAt
// descending then document id. Firestore serves an equality filter plus a sort on another field only
// from a composite index (equality fields, then the sort field); it appends __name__ in the last
// field's direction itself, which is the list's tie-break. Merging such indexes for a mix of filters
// is not guaranteed, so every combination has its own: 2^4 − 1 = 15 of the 200 a database may have.
// No filter at all, or only the time range, is served by startedAt's single-field index.
// The watchdog's queries (pipeline == and status in / notifyPending ==) and findRunByMessageId
// (pipeline == and messageId in) are equality filters only, which Firestore answers by merging
// single-field indexes: no composite index.

export type IndexOrder = 'ASCENDING' | 'DESCENDING';

export interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION';
  fields: Array<{ fieldPath: string; order: IndexOrder }>;
}

export interface TtlField {
  collectionGroup: string;
  fieldPath: string;
}

// Collection ids as the stores name them (checked against their constants by the test above).
export const RUNS_COLLECTION_GROUP = 'sluice_runs';
export const FILES_COLLECTION_GROUP = 'files';
export const DEAD_LETTERS_COLLECTION_GROUP = 'sluice_dead_letters';
export const BULK_ACTIONS_COLLECTION_GROUP = 'sluice_bulk_actions';
export const BULK_RUNS_COLLECTION_GROUP = 'runs';

// The runs list's equality fields, in the order each index names them.
export const RUN_LIST_FILTER_FIELDS = ['pipeline', 'status', 'trigger', 'parentRunId'] as const;

function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]).filter((s) => s.length > 0);
}

export const FIRESTORE_INDEXES: readonly CompositeIndex[] = subsets(RUN_LIST_FILTER_FIELDS).map((filters) => ({
  collectionGroup: RUNS_COLLECTION_GROUP,
  queryScope: 'COLLECTION',
  fields: [...filters.map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })), { fieldPath: 'startedAt', order: 'DESCENDING' }],
}));

// Firestore deletes a document once the time in this field has passed (within about a day): runs a
// year after their last write, file records and kept dead letters after 30 days (ops retention).
export const FIRESTORE_TTL_FIELDS: readonly TtlField[] = [
  { collectionGroup: RUNS_COLLECTION_GROUP, fieldPath: 'expiresAt' },
  { collectionGroup: FILES_COLLECTION_GROUP, fieldPath: 'expiresAt' },
  { collectionGroup: DEAD_LETTERS_COLLECTION_GROUP, fieldPath: 'expiresAt' },
];

// The composite index a runs-list query with these equality filters needs; undefined when the
// single-field index on startedAt serves it.
export function runListIndexFor(filters: ReadonlyArray<(typeof RUN_LIST_FILTER_FIELDS)[number]>): CompositeIndex | undefined {
  if (filters.length === 0) return undefined;
  const wanted = RUN_LIST_FILTER_FIELDS.filter((f) => filters.includes(f));
  return FIRESTORE_INDEXES.find((index) => index.fields.length === wanted.length + 1 && wanted.every((f, i) => index.fields[i]?.fieldPath === f));
}

// The kept dead letters' list (functions/runtime/firestore-dead-letter-store.ts): its equality filters
// (pipeline, stage, both), then receivedAt descending; with no equality filter receivedAt's
// single-field index serves it.
export const DEAD_LETTER_INDEXES: readonly CompositeIndex[] = [['pipeline'], ['stage'], ['pipeline', 'stage']].map((equality) => ({
  collectionGroup: DEAD_LETTERS_COLLECTION_GROUP,
  queryScope: 'COLLECTION' as const,
  fields: [...equality.map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })), { fieldPath: 'receivedAt', order: 'DESCENDING' as const }],
}));

// Bulk actions (functions/ops/bulk/bulk-action-store.ts) and their per-run entries go after ops
// retention.fileDays; their queries (status ==, count) need no composite index.
export const BULK_TTL_FIELDS: readonly TtlField[] = [
  { collectionGroup: BULK_ACTIONS_COLLECTION_GROUP, fieldPath: 'expiresAt' },
  { collectionGroup: BULK_RUNS_COLLECTION_GROUP, fieldPath: 'expiresAt' },
];

// Everything the Pulumi program declares (infra/firestore-indexes.ts).
export const DECLARED_INDEXES: readonly CompositeIndex[] = [...FIRESTORE_INDEXES, ...DEAD_LETTER_INDEXES];
export const DECLARED_TTL_FIELDS: readonly TtlField[] = [...FIRESTORE_TTL_FIELDS, ...BULK_TTL_FIELDS];
