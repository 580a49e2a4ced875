import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { ContentHasher } from '../hashes';
import { readJson, sendJson } from '../http';
import { fieldsFromResource } from '../object-fields';
import { checkPreconditions, readPreconditions } from '../preconditions';
import { checkObjectName } from '../object-names';
import { objectResource } from '../resources';
import type { ObjectRecord } from '../types';

// objects.compose: POST /b/B/o/DEST/compose with up to 32 source objects of the same bucket.

interface SourceObject {
  name?: unknown;
  generation?: unknown;
  objectPreconditions?: { ifGenerationMatch?: unknown };
}

export async function composeObject(ctx: GcsContext, r: GcsRequest, bucket: string, name: string): Promise<void> {
  const body = ((await readJson(r.req)) ?? {}) as { sourceObjects?: unknown; destination?: unknown };
  ctx.state.getBucket(bucket);
  checkObjectName(name);
  const sources = body.sourceObjects;
  if (!Array.isArray(sources) || sources.length === 0) throw gcsErrors.required('sourceObjects');
  if (sources.length > 32) throw gcsErrors.invalid('The number of source components provided (' + sources.length + ') exceeds the maximum (32)');
  const records: ObjectRecord[] = (sources as SourceObject[]).map((s) => {
    if (typeof s.name !== 'string' || !s.name) throw gcsErrors.required('sourceObjects.name');
    r.access.object('storage.objects.get', bucket, s.name);
    const o = ctx.state.requireObject(bucket, s.name, s.generation == null ? null : String(s.generation));
    const expected = s.objectPreconditions?.ifGenerationMatch;
    if (expected != null && String(expected) !== o.generation) throw gcsErrors.preconditionFailed();
    return o;
  });
  const destPre = readPreconditions(r.query);
  checkPreconditions(ctx.state.getObject(bucket, name), destPre);

  let blobId: string;
  try {
    blobId = await ctx.blobs.concat(records.map((o) => o.blobId));
  } catch {
    throw gcsErrors.noSuchObject(bucket, records[0]!.name);
  }
  const size = records.reduce((n, o) => n + o.size, 0);
  const hasher = new ContentHasher();
  for await (const chunk of ctx.blobs.read(blobId, 0, size - 1)) hasher.update(chunk as Buffer);
  const fields = fieldsFromResource(body.destination);
  if (!fields.contentType && records[0]!.fields.contentType) fields.contentType = records[0]!.fields.contentType;
  const componentCount = records.reduce((n, o) => n + (o.componentCount ?? 1), 0);
  const record = await ctx.state.putObject({ bucket, name, blobId, fields, componentCount, ...hasher.digest() }, destPre, r.access.write(bucket, name));
  sendJson(r.res, 200, objectResource(record, r.baseUrl));
}
