import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { readJson, sendJson } from '../http';
import { copyFields } from '../object-fields';
import { checkPreconditions, readPreconditions } from '../preconditions';
import { checkObjectName } from '../object-names';
import { objectResource } from '../resources';
import type { ObjectRecord } from '../types';

// objects.rewrite (what file.copy()/move() use), objects.copy, and objects.move (what
// file.moveFileAtomic() uses). A rewrite always completes in one call here, so it never hands
// out a rewriteToken. Destination preconditions: if*Match; source: ifSource*Match.

async function copyObject(
  ctx: GcsContext,
  r: GcsRequest,
  src: { bucket: string; name: string },
  dest: { bucket: string; name: string },
): Promise<{ source: ObjectRecord; record: ObjectRecord }> {
  const body = await readJson(r.req);
  checkObjectName(dest.name);
  const source = ctx.state.requireObject(src.bucket, src.name, r.query.get('sourceGeneration'));
  checkPreconditions(source, readPreconditions(r.query, true));
  ctx.state.getBucket(dest.bucket);
  const destPre = readPreconditions(r.query);
  const authorize = r.access.write(dest.bucket, dest.name);
  const existing = ctx.state.getObject(dest.bucket, dest.name);
  // Permission before preconditions, as for uploads: a caller that may not overwrite gets 403 even
  // with ifGenerationMatch=0 (see iam.ts).
  authorize(existing);
  checkPreconditions(existing, destPre);
  let blobId: string;
  try {
    blobId = await ctx.blobs.duplicate(source.blobId);
  } catch {
    // The source was replaced or deleted while we were about to copy it.
    throw gcsErrors.noSuchObject(src.bucket, src.name);
  }
  const record = await ctx.state.putObject(
    {
      bucket: dest.bucket,
      name: dest.name,
      blobId,
      size: source.size,
      md5Hash: source.md5Hash,
      crc32c: source.crc32c,
      componentCount: source.componentCount,
      fields: copyFields(source.fields, body),
    },
    destPre,
    authorize,
  );
  return { source, record };
}

export async function rewriteObject(
  ctx: GcsContext,
  r: GcsRequest,
  src: { bucket: string; name: string },
  dest: { bucket: string; name: string },
): Promise<void> {
  const { record } = await copyObject(ctx, r, src, dest);
  sendJson(r.res, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(record.size),
    objectSize: String(record.size),
    done: true,
    resource: objectResource(record, r.baseUrl),
  });
}

export async function copyToObject(
  ctx: GcsContext,
  r: GcsRequest,
  src: { bucket: string; name: string },
  dest: { bucket: string; name: string },
): Promise<void> {
  const { record } = await copyObject(ctx, r, src, dest);
  sendJson(r.res, 200, objectResource(record, r.baseUrl));
}

export async function moveObject(ctx: GcsContext, r: GcsRequest, bucket: string, from: string, to: string): Promise<void> {
  if (from === to) throw gcsErrors.invalid('Source and destination object names must be different.');
  const { source, record } = await copyObject(ctx, r, { bucket, name: from }, { bucket, name: to });
  // Remove exactly the generation that was copied; a newer one written meanwhile stays.
  await ctx.state.deleteObject(bucket, from, null, { ifGenerationMatch: source.generation }).catch(() => {});
  sendJson(r.res, 200, objectResource(record, r.baseUrl));
}
