// The emulator answers any query, so nothing but this test notices a runs-list query that no declared
// index serves: for every combination of the list's filters it builds the store's own query (the
// client's StructuredQuery, as sent to Firestore) and checks the declared composite index matches it
// field by field — equality fields, then startedAt descending, then __name__ in the same direction.
import { BULK_ACTIONS_COLLECTION, BULK_RUNS_SUBCOLLECTION } from '../../functions/ops/bulk/bulk-action-store';
import { Firestore } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTERS_COLLECTION } from '../../functions/runtime/dead-letter-store';
import { filteredRuns } from '../../functions/runtime/run-list-query';
import { FILES_SUBCOLLECTION, RUNS_COLLECTION } from '../../functions/runtime/run-record';
import type { RunQuery } from '../../functions/runtime/run-store';
import {
  BULK_ACTIONS_COLLECTION_GROUP, BULK_RUNS_COLLECTION_GROUP, DECLARED_INDEXES, DECLARED_TTL_FIELDS, DEAD_LETTERS_COLLECTION_GROUP, FILES_COLLECTION_GROUP, FIRESTORE_INDEXES, FIRESTORE_TTL_FIELDS, RUN_LIST_FILTER_FIELDS, RUNS_COLLECTION_GROUP, runListIndexFor,
} from '../../shared/firestore-indexes';

interface FieldFilter { fieldFilter?: { field: { fieldPath: string }; op: string } }
interface StructuredQuery {
  from: Array<{ collectionId: string }>;
  where?: FieldFilter & { compositeFilter?: { filters: FieldFilter[] } };
  orderBy?: Array<{ field: { fieldPath: string }; direction: string }>;
}

// Never connects: building a query is local.
const firestore = new Firestore({ projectId: 'index-check', host: '127.0.0.1:9', ssl: false });
const runs = firestore.collection(RUNS_COLLECTION);

function shapeOf(q: RunQuery): { equality: string[]; range: string[]; orderBy: string[] } {
  const proto = (filteredRuns(runs, q) as unknown as { toProto(): { structuredQuery: StructuredQuery } }).toProto().structuredQuery;
  const filters = proto.where?.compositeFilter?.filters ?? (proto.where ? [proto.where] : []);
  const ops = filters.map((f) => f.fieldFilter!).map((f) => ({ field: f.field.fieldPath, op: f.op }));
  return {
    equality: ops.filter((f) => f.op === 'EQUAL' || f.op === 'IN').map((f) => f.field),
    range: ops.filter((f) => f.op !== 'EQUAL' && f.op !== 'IN').map((f) => f.field),
    orderBy: (proto.orderBy ?? []).map((o) => `${o.field.fieldPath} ${o.direction}`),
  };
}

const values: Record<(typeof RUN_LIST_FILTER_FIELDS)[number], Partial<RunQuery>> = {
  pipeline: { pipeline: 'p' },
  status: { status: ['failed', 'partial'] },
  trigger: { trigger: 'manual' },
  parentRunId: { parentRunId: 'r' },
};

describe('firestore indexes', () => {
  it('names the collections the stores use', () => {
    expect([RUNS_COLLECTION_GROUP, FILES_COLLECTION_GROUP, DEAD_LETTERS_COLLECTION_GROUP]).toEqual([RUNS_COLLECTION, FILES_SUBCOLLECTION, DEAD_LETTERS_COLLECTION]);
    expect([BULK_ACTIONS_COLLECTION_GROUP, BULK_RUNS_COLLECTION_GROUP]).toEqual([BULK_ACTIONS_COLLECTION, BULK_RUNS_SUBCOLLECTION]);
    // Infra declares every store's indexes and TTL fields, the dead letters' and bulk actions' too.
    expect(DECLARED_INDEXES.filter((i) => i.collectionGroup === DEAD_LETTERS_COLLECTION)).toHaveLength(3);
    expect(DECLARED_TTL_FIELDS.map((t) => t.collectionGroup)).toEqual(expect.arrayContaining([RUNS_COLLECTION, FILES_SUBCOLLECTION, DEAD_LETTERS_COLLECTION, BULK_ACTIONS_COLLECTION, BULK_RUNS_SUBCOLLECTION]));
    expect(FIRESTORE_TTL_FIELDS.map((f) => `${f.collectionGroup}.${f.fieldPath}`)).toEqual(['sluice_runs.expiresAt', 'files.expiresAt', 'sluice_dead_letters.expiresAt']);
  });

  it('declares, for every combination of the runs list\'s filters, the index its query needs', () => {
    expect(FIRESTORE_INDEXES).toHaveLength(15);
    for (let mask = 0; mask < 16; mask++) {
      const chosen = RUN_LIST_FILTER_FIELDS.filter((_, i) => mask & (1 << i));
      for (const timed of [false, true]) {
        const q: RunQuery = Object.assign({}, ...chosen.map((f) => values[f]), timed ? { since: '2026-11-01', until: '2026-11-30' } : {});
        const shape = shapeOf(q);
        expect(shape.orderBy).toEqual(['startedAt DESCENDING', '__name__ DESCENDING']);
        expect(shape.range).toEqual(timed ? ['startedAt', 'startedAt'] : []);
        expect([...shape.equality].sort()).toEqual([...chosen].sort());
        const index = runListIndexFor(chosen);
        if (chosen.length === 0) {
          // startedAt's single-field index (descending, like every automatic one) serves it.
          expect(index).toBeUndefined();
          continue;
        }
        expect(index?.collectionGroup).toBe(RUNS_COLLECTION);
        // Equality fields in any order first, then the sort; Firestore adds __name__ in the sort's direction.
        expect(index!.fields.slice(0, -1).map((f) => f.fieldPath).sort()).toEqual([...shape.equality].sort());
        expect(index!.fields.slice(0, -1).every((f) => f.order === 'ASCENDING')).toBe(true);
        expect(index!.fields.at(-1)).toEqual({ fieldPath: 'startedAt', order: 'DESCENDING' });
      }
    }
  });
});
