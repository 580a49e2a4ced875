import { gcsErrors } from './errors';
import type { ObjectFields } from './types';

// Which parts of an object resource a client may write, and how patch/update apply them.

/**
 * Cloud Storage's limit on custom metadata: 8 KiB for all keys and values of one object together,
 * counted in UTF-8 bytes (MAX_CUSTOM_METADATA_TOTAL_SIZE_BYTES in the Storage API's service
 * constants). GCS refuses a write above it with 400; so does the emulator, on every write that
 * sets metadata (uploads, patch, update, copy/rewrite and compose bodies).
 */
export const MAX_CUSTOM_METADATA_BYTES = 8 * 1024;

function checkMetadataSize(metadata: Record<string, string> | undefined): void {
  if (!metadata) return;
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata)) bytes += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  if (bytes > MAX_CUSTOM_METADATA_BYTES) {
    throw gcsErrors.invalid(
      `Custom metadata is too large: its keys and values take ${bytes} bytes; Cloud Storage allows at most ${MAX_CUSTOM_METADATA_BYTES} bytes (8 KiB) per object.`,
    );
  }
}

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
  checkMetadataSize(fields.metadata);
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
  checkMetadataSize(next.metadata);
  return next;
}

/** objects.update: the body replaces every writable field (storage class is kept). */
export function updateFields(current: ObjectFields, body: unknown): ObjectFields {
  const next = fieldsFromResource(body);
  if (current.storageClass) next.storageClass = current.storageClass;
  return next;
}

/**
 * rewrite/copy: a request body that sets any writable field is the destination's resource, whole:
 * as in Cloud Storage, none of the source's content type, custom metadata or other fields is
 * carried over (a copy with `{ metadata: { a: '1' } }` loses the source's contentType and its
 * other metadata keys; Google's client system test "should copy an existing file and overwrite
 * custom metadata" expects exactly that). With no body, or an empty one, the destination gets
 * the source's fields. A body naming only a storage class (how clients change one, e.g.
 * file.setStorageClass) keeps the other fields: an assumption, not checked against Google.
 */
export function copyFields(source: ObjectFields, body: unknown): ObjectFields {
  const given = fieldsFromResource(body);
  const { storageClass, ...resource } = given;
  if (Object.keys(resource).length > 0) return given;
  return storageClass ? { ...source, storageClass } : { ...source };
}
