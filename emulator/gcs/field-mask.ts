import type { ServerResponse } from 'node:http';
import { gcsErrors } from './errors';

// The `fields` query parameter (partial response), on every JSON answer: `items(name,size),
// nextPageToken`, `kind,items/name`, `resource(name,generation)`, `*`. A selection names keys;
// `a/b` is `a(b)`; a selection applies to each element of an array; `*` keeps every key.
// Error bodies are never trimmed, as in Cloud Storage.

export type FieldMask = Map<string, FieldMask | true>;

export function parseFieldMask(raw: string): FieldMask {
  let i = 0;
  const fail = (why: string) => gcsErrors.invalid(`Invalid field selection ${JSON.stringify(raw)}: ${why}.`);
  const name = (): string => {
    const m = /^[A-Za-z0-9_*-]+/.exec(raw.slice(i));
    if (!m) throw fail(`a field name was expected at position ${i}`);
    i += m[0].length;
    return m[0];
  };
  const merge = (into: FieldMask, key: string, sub: FieldMask | true) => {
    const had = into.get(key);
    if (had === true || sub === true) into.set(key, true);
    else if (had) for (const [k, v] of sub) merge(had, k, v);
    else into.set(key, sub);
  };
  const list = (): FieldMask => {
    const mask: FieldMask = new Map();
    for (;;) {
      while (raw[i] === ' ') i++;
      const path = [name()];
      while (raw[i] === '/') {
        i++;
        path.push(name());
      }
      let leaf: FieldMask | true = true;
      if (raw[i] === '(') {
        i++;
        leaf = list();
        if (raw[i] !== ')') throw fail('a "(" is not closed');
        i++;
      }
      const nested = path.slice(1).reduceRight<FieldMask | true>((sub, key) => new Map([[key, sub]]), leaf);
      merge(mask, path[0]!, nested);
      while (raw[i] === ' ') i++;
      if (raw[i] !== ',') return mask;
      i++;
    }
  };
  const mask = list();
  if (i !== raw.length) throw fail(`unexpected ${JSON.stringify(raw[i])} at position ${i}`);
  return mask;
}

export function applyFieldMask(value: unknown, mask: FieldMask): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFieldMask(v, mask));
  if (!value || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const all = mask.get('*');
  for (const [key, v] of Object.entries(source)) {
    const sub = mask.get(key) ?? all;
    if (sub === undefined) continue;
    out[key] = sub === true ? v : applyFieldMask(v, sub);
  }
  return out;
}

const masks = new WeakMap<ServerResponse, FieldMask>();

/** Remembers the request's `fields` for the JSON answer sent on `res` (see http.ts sendJson). */
export function setFieldMask(res: ServerResponse, raw: string | null): void {
  if (raw === null || raw.trim() === '') return;
  masks.set(res, parseFieldMask(raw.trim()));
}

export function fieldMaskOf(res: ServerResponse): FieldMask | undefined {
  return masks.get(res);
}
