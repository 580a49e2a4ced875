import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { readJson, sendEmpty, sendJson, drain } from '../http';
import { bucketResource } from '../resources';
import type { BucketRecord } from '../types';

// buckets.insert / get / list / patch / delete.

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export async function createBucket(ctx: GcsContext, r: GcsRequest): Promise<void> {
  const body = ((await readJson(r.req)) ?? {}) as Record<string, unknown>;
  const name = typeof body.name === 'string' ? body.name : r.query.get('name') ?? '';
  if (!name) throw gcsErrors.required('bucket name');
  if (!BUCKET_NAME.test(name) || (name.length > 63 && !name.includes('.'))) {
    throw gcsErrors.invalid(`Invalid bucket name: '${name}'`);
  }
  const now = new Date().toISOString();
  const record: BucketRecord = {
    name,
    project: r.query.get('project') ?? 'emulator-project',
    timeCreated: now,
    updated: now,
    metageneration: 1,
    location: typeof body.location === 'string' ? body.location.toUpperCase() : 'US',
    storageClass: typeof body.storageClass === 'string' ? body.storageClass : 'STANDARD',
    labels: stringMap(body.labels),
    versioning: body.versioning && typeof body.versioning === 'object'
      ? { enabled: Boolean((body.versioning as { enabled?: unknown }).enabled) }
      : undefined,
    notifications: [],
    nextNotificationId: 1,
  };
  await ctx.state.createBucket(record);
  sendJson(r.res, 200, bucketResource(record, r.baseUrl));
}

export async function getBucket(ctx: GcsContext, r: GcsRequest, name: string): Promise<void> {
  await drain(r.req);
  const b = ctx.state.getBucket(name);
  const m = r.query.get('ifMetagenerationMatch');
  if (m !== null && m !== String(b.metageneration)) throw gcsErrors.preconditionFailed();
  sendJson(r.res, 200, bucketResource(b, r.baseUrl));
}

export async function listBuckets(ctx: GcsContext, r: GcsRequest): Promise<void> {
  await drain(r.req);
  const prefix = r.query.get('prefix') ?? '';
  const max = Math.max(1, Math.min(1000, Number(r.query.get('maxResults') ?? 1000) || 1000));
  const after = r.query.get('pageToken') ? Buffer.from(r.query.get('pageToken')!, 'base64url').toString() : '';
  const all = ctx.state
    .listBuckets(r.query.get('project') ?? undefined)
    .filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = all.slice(0, max);
  const body: Record<string, unknown> = { kind: 'storage#buckets' };
  if (page.length > 0) body.items = page.map((b) => bucketResource(b, r.baseUrl));
  if (all.length > max) body.nextPageToken = Buffer.from(page[page.length - 1]!.name).toString('base64url');
  sendJson(r.res, 200, body);
}

/** PATCH merges labels (null removes one); PUT replaces them. Only a few fields are writable here. */
export async function patchBucket(ctx: GcsContext, r: GcsRequest, name: string, replace: boolean): Promise<void> {
  const body = ((await readJson(r.req)) ?? {}) as Record<string, unknown>;
  const current = ctx.state.getBucket(name);
  const m = r.query.get('ifMetagenerationMatch');
  if (m !== null && m !== String(current.metageneration)) throw gcsErrors.preconditionFailed();
  const next = await ctx.state.updateBucket(name, (b) => {
    if ('labels' in body) {
      const labels: Record<string, string> = replace ? {} : { ...(b.labels ?? {}) };
      for (const [k, v] of Object.entries((body.labels as Record<string, unknown> | null) ?? {})) {
        if (v === null) delete labels[k];
        else if (typeof v === 'string') labels[k] = v;
      }
      b.labels = labels;
    }
    if (body.versioning && typeof body.versioning === 'object') {
      b.versioning = { enabled: Boolean((body.versioning as { enabled?: unknown }).enabled) };
    }
    if (typeof body.storageClass === 'string') b.storageClass = body.storageClass;
    return b;
  }, true);
  sendJson(r.res, 200, bucketResource(next, r.baseUrl));
}

export async function deleteBucket(ctx: GcsContext, r: GcsRequest, name: string): Promise<void> {
  await drain(r.req);
  const current = ctx.state.getBucket(name);
  const m = r.query.get('ifMetagenerationMatch');
  if (m !== null && m !== String(current.metageneration)) throw gcsErrors.preconditionFailed();
  await ctx.state.deleteBucket(name);
  sendEmpty(r.res, 204);
}
