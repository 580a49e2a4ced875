// The Firestore composite indexes and TTL policies of shared/firestore-indexes.ts, declared: one
// gcp.firestore.Index per composite index (the run lists never scan), one gcp.firestore.Field with a
// ttlConfig per expiry field (retention: Firestore deletes a document once its `expiresAt` passed).
// The expiry fields are exempt from single-field indexing: no query reads them, and an indexed
// timestamp that only grows is the write hotspot Google's TTL guidance warns about.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { DECLARED_INDEXES, DECLARED_TTL_FIELDS, type CompositeIndex, type TtlField } from '../shared/firestore-indexes';

// A stable logical name per index (its fields say what it is; Pulumi names must not change on reorder).
export function indexResourceName(index: CompositeIndex): string {
  const fields = index.fields.map((f) => `${f.fieldPath}-${f.order === 'ASCENDING' ? 'asc' : 'desc'}`).join('-');
  return `firestore-index-${index.collectionGroup}-${fields}`;
}

export function ttlResourceName(ttl: TtlField): string {
  return `firestore-ttl-${ttl.collectionGroup}-${ttl.fieldPath}`;
}

export function declareFirestoreIndexes(
  target: { project: string; database: pulumi.Input<string> },
  opts?: pulumi.CustomResourceOptions,
  plan: { indexes: readonly CompositeIndex[]; ttlFields: readonly TtlField[] } = { indexes: DECLARED_INDEXES, ttlFields: DECLARED_TTL_FIELDS },
): { indexes: gcp.firestore.Index[]; ttlFields: gcp.firestore.Field[] } {
  const indexes = plan.indexes.map((index) => new gcp.firestore.Index(indexResourceName(index), {
    project: target.project,
    database: target.database,
    collection: index.collectionGroup,
    queryScope: index.queryScope,
    fields: index.fields.map((f) => ({ fieldPath: f.fieldPath, order: f.order })),
  }, opts));
  const ttlFields = plan.ttlFields.map((ttl) => new gcp.firestore.Field(ttlResourceName(ttl), {
    project: target.project,
    database: target.database,
    collection: ttl.collectionGroup,
    field: ttl.fieldPath,
    ttlConfig: {},
    indexConfig: {},
  }, opts));
  return { indexes, ttlFields };
}
