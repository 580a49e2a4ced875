import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { drain, sendJson } from '../http';
import { objectResource } from '../resources';
import { globToRegExp } from '../name-glob';
import { compareNames } from '../state';
import type { ObjectRecord } from '../types';

// objects.list: prefix, delimiter (→ prefixes), maxResults (items and prefixes both count, as
// in GCS), pageToken, startOffset/endOffset, includeTrailingDelimiter, matchGlob (name-glob.ts,
// applied before delimiter grouping) and versions (every generation, noncurrent ones with
// timeDeleted, by name and then oldest first). Refused parameters: unsupported-params.ts.

interface PageToken {
  /** The last name or prefix on the previous page. */
  k: string;
  /** Whether `k` was a prefix: then everything under it was already summarised. */
  p: boolean;
  /** versions=true: the generation of the last item (several items share a name). */
  g?: string;
}

function decodeToken(raw: string | null): PageToken | undefined {
  if (!raw) return undefined;
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PageToken;
    if (typeof t.k === 'string') return t;
  } catch {
    // fall through
  }
  throw gcsErrors.invalid('Invalid pageToken.');
}

const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64url');

type Entry = { kind: 'item'; object: ObjectRecord } | { kind: 'prefix'; prefix: string };

export async function listObjects(ctx: GcsContext, r: GcsRequest, bucket: string): Promise<void> {
  await drain(r.req);
  const q = r.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startOffset = q.get('startOffset');
  const endOffset = q.get('endOffset');
  const trailing = q.get('includeTrailingDelimiter') === 'true';
  const max = Math.max(1, Math.min(1000, Number(q.get('maxResults') ?? 1000) || 1000));
  const token = decodeToken(q.get('pageToken'));

  const glob = q.get('matchGlob');
  const matches = glob ? globToRegExp(glob) : undefined;
  const versions = q.get('versions') === 'true';
  const candidates: Iterable<ObjectRecord | undefined> = versions
    ? ctx.state.allGenerations(bucket)
    : ctx.state.objectNames(bucket).map((name) => ctx.state.getObject(bucket, name));

  const afterToken = (object: ObjectRecord): boolean => {
    if (!token) return true;
    if (token.p && object.name.startsWith(token.k)) return false;
    const order = compareNames(object.name, token.k);
    if (order !== 0) return order > 0;
    return token.g !== undefined && BigInt(object.generation) > BigInt(token.g);
  };

  const entries: Entry[] = [];
  let lastPrefix: string | undefined;
  for (const object of candidates) {
    if (!object) continue;
    const name = object.name;
    if (!name.startsWith(prefix)) continue;
    if (startOffset !== null && compareNames(name, startOffset) < 0) continue;
    if (endOffset !== null && compareNames(name, endOffset) >= 0) continue;
    if (matches && !matches.test(name)) continue;
    if (!afterToken(object)) continue;
    if (delimiter) {
      const at = name.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const p = name.slice(0, at + delimiter.length);
        if (p !== lastPrefix) {
          entries.push({ kind: 'prefix', prefix: p });
          lastPrefix = p;
        }
        if (trailing && name === p) entries.push({ kind: 'item', object });
        if (entries.length > max) break;
        continue;
      }
    }
    entries.push({ kind: 'item', object });
    if (entries.length > max) break;
  }

  const page = entries.slice(0, max);
  const body: Record<string, unknown> = { kind: 'storage#objects' };
  if (entries.length > max) {
    const last = page[page.length - 1]!;
    body.nextPageToken = encodeToken(
      last.kind === 'prefix'
        ? { k: last.prefix, p: true }
        : { k: last.object.name, p: false, ...(versions ? { g: last.object.generation } : {}) },
    );
  }
  const prefixes = page.flatMap((e) => (e.kind === 'prefix' ? [e.prefix] : []));
  const items = page.flatMap((e) => (e.kind === 'item' ? [objectResource(e.object, r.baseUrl)] : []));
  if (prefixes.length > 0) body.prefixes = prefixes;
  if (items.length > 0) body.items = items;
  sendJson(r.res, 200, body);
}
