import { gcsErrors, NotModified } from './errors';
import type { ObjectRecord } from './types';

// ifGenerationMatch / ifGenerationNotMatch / ifMetagenerationMatch / ifMetagenerationNotMatch,
// as query parameters. For copy/rewrite the same four exist with a `Source` infix for the source.

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const KEYS = ['GenerationMatch', 'GenerationNotMatch', 'MetagenerationMatch', 'MetagenerationNotMatch'] as const;

export function readPreconditions(query: URLSearchParams, source = false): Preconditions {
  const out: Preconditions = {};
  for (const key of KEYS) {
    const value = query.get(source ? `ifSource${key}` : `if${key}`);
    if (value === null) continue;
    if (!/^-?\d+$/.test(value)) throw gcsErrors.invalid(`Invalid argument: if${source ? 'Source' : ''}${key}=${value}`);
    out[`if${key}`] = BigInt(value).toString();
  }
  return out;
}

export function hasPreconditions(p: Preconditions): boolean {
  return Object.values(p).some((v) => v !== undefined);
}

/**
 * Throws 412 when a precondition does not hold for `current` (undefined = no live object).
 * `read` requests answer a failed *NotMatch with 304 Not Modified, as GCS does.
 */
export function checkPreconditions(current: ObjectRecord | undefined, p: Preconditions, read = false): void {
  const generation = current?.generation ?? '0';
  const notMatchFailed = () => (read ? new NotModified() : gcsErrors.preconditionFailed());
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== generation) throw gcsErrors.preconditionFailed();
  // "If no live object exists, the precondition fails" (JSON API reference for ifGenerationNotMatch).
  if (p.ifGenerationNotMatch !== undefined && (!current || p.ifGenerationNotMatch === generation)) throw notMatchFailed();
  if (p.ifMetagenerationMatch !== undefined && (!current || p.ifMetagenerationMatch !== String(current.metageneration))) {
    throw gcsErrors.preconditionFailed();
  }
  if (p.ifMetagenerationNotMatch !== undefined && current && p.ifMetagenerationNotMatch === String(current.metageneration)) {
    throw notMatchFailed();
  }
}
