import { gcsErrors } from './errors';
import type { ObjectFields } from './types';

// Which parts of an object resource a client may write, and how patch/update apply them.

const STRING_FIELDS = [
  'contentType',
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
  'customTime',
  'storageClass',
] as const;

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw gcsErrors.invalid('Invalid JSON payload: expected an object.');
  return body as Record<string, unknown>;
}

function metadataMap(value: unknown, dropNulls: boolean): Record<string, string> | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw gcsErrors.invalid('Invalid value for metadata.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null && dropNulls) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Fields of a new object from an insert / resumable-initiation / rewrite body. */
export function fieldsFromResource(body: unknown): ObjectFields {
  const src = asObject(body);
  const fields: ObjectFields = {};
  for (const key of STRING_FIELDS) {
    const v = src[key];
    if (typeof v === 'string' && v !== '') fields[key] = v;
  }
  const metadata = metadataMap(src.metadata, true);
  if (metadata && Object.keys(metadata).length > 0) fields.metadata = metadata;
  return fields;
}

/** objects.patch: only the keys present change; null clears; metadata keys merge, null removes one. */
export function patchFields(current: ObjectFields, body: unknown): ObjectFields {
  const src = asObject(body);
  const next: ObjectFields = { ...current };
  for (const key of STRING_FIELDS) {
    if (!(key in src) || key === 'storageClass') continue;
    const v = src[key];
    if (v === null || v === '') delete next[key];
    else if (typeof v === 'string') next[key] = v;
  }
  if ('metadata' in src) {
    if (src.metadata === null) delete next.metadata;
    else {
      const merged: Record<string, string> = { ...(current.metadata ?? {}) };
      for (const [k, v] of Object.entries(asObject(src.metadata))) {
        if (v === null) delete merged[k];
        else merged[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      if (Object.keys(merged).length > 0) next.metadata = merged;
      else delete next.metadata;
    }
  }
  return next;
}

/** objects.update: the body replaces every writable field (storage class is kept). */
export function updateFields(current: ObjectFields, body: unknown): ObjectFields {
  const next = fieldsFromResource(body);
  if (current.storageClass) next.storageClass = current.storageClass;
  return next;
}

/** rewrite/copy: the source's fields, overridden by whatever the request body sets. */
export function overrideFields(source: ObjectFields, body: unknown): ObjectFields {
  const override = fieldsFromResource(body);
  return { ...source, ...override };
}
