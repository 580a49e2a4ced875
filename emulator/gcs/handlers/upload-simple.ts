import { randomUUID } from 'node:crypto';
import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { finalizeUpload, hashesFromHeader } from '../finalize';
import { ContentHasher } from '../hashes';
import { sendJson } from '../http';
import { boundaryOf, readMultipartRelated } from '../multipart';
import { fieldsFromResource } from '../object-fields';
import { readPreconditions } from '../preconditions';
import { checkObjectName } from '../object-names';
import { objectResource } from '../resources';

// uploadType=media (bytes only) and uploadType=multipart (JSON metadata + bytes), both streamed
// into a staging blob; the object appears only once the whole body has arrived.

export async function uploadMediaOrMultipart(ctx: GcsContext, r: GcsRequest, bucket: string, multipart: boolean): Promise<void> {
  // 403 and 404 before reading a possibly large body (the client names the object in the query).
  const queryName = r.query.get('name');
  if (queryName) r.access.object('storage.objects.create', bucket, queryName);
  if (queryName) checkObjectName(queryName);
  ctx.state.getBucket(bucket);
  const preconditions = readPreconditions(r.query);
  const staging = await ctx.blobs.staging(`simple-${randomUUID()}`);
  const hasher = new ContentHasher();
  const onData = async (chunk: Buffer) => {
    hasher.update(chunk);
    await staging.append(chunk);
  };

  let metadata: Record<string, unknown> = {};
  let contentType: string | undefined;
  try {
    if (multipart) {
      const result = await readMultipartRelated(r.req, boundaryOf(r.req.headers['content-type']), onData);
      if (result.metadata !== undefined) {
        if (typeof result.metadata !== 'object' || result.metadata === null) throw gcsErrors.invalid('Invalid metadata part.');
        metadata = result.metadata as Record<string, unknown>;
      }
      contentType = result.mediaContentType;
    } else {
      for await (const chunk of r.req as AsyncIterable<Buffer>) await onData(chunk);
      contentType = r.req.headers['content-type'];
    }
  } catch (err) {
    await staging.discard();
    throw err;
  } finally {
    await staging.close();
  }

  const name = r.query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : '');
  let fields;
  try {
    if (!name) throw gcsErrors.required('object name');
    checkObjectName(name);
    fields = fieldsFromResource(metadata);
  } catch (err) {
    await staging.discard();
    throw err;
  }
  if (!fields.contentType && contentType) fields.contentType = contentType;
  const record = await finalizeUpload(ctx, staging, hasher.digest(), {
    bucket,
    name,
    fields,
    preconditions,
    authorize: r.access.write(bucket, name),
    expected: {
      md5Hash: typeof metadata.md5Hash === 'string' ? metadata.md5Hash : hashesFromHeader(r.req.headers['x-goog-hash']).md5Hash,
      crc32c: typeof metadata.crc32c === 'string' ? metadata.crc32c : hashesFromHeader(r.req.headers['x-goog-hash']).crc32c,
    },
  });
  sendJson(r.res, 200, objectResource(record, r.baseUrl));
}
