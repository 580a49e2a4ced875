import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { checkPreconditions, readPreconditions } from '../preconditions';
import { objectEtag } from '../resources';

// objects.get?alt=media (and the /download/storage/v1 form of mediaLink): whole objects,
// single byte ranges (206 + Content-Range) and tail ranges. Bytes stream from the blob store.

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/** One range of `Range: bytes=...`; several ranges are served as the whole object, like GCS. */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header || size === 0) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, s, e] = m as unknown as [string, string, string];
  if (s === '' && e === '') return undefined;
  if (s === '') {
    const n = Number(e);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(s);
  const end = e === '' ? size - 1 : Math.min(Number(e), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function downloadObject(ctx: GcsContext, r: GcsRequest, bucket: string, name: string): Promise<void> {
  const o = ctx.state.requireObject(bucket, name, r.query.get('generation'));
  checkPreconditions(o, readPreconditions(r.query), true);
  const f = o.fields;
  const storedGzip = f.contentEncoding === 'gzip';
  const acceptsGzip = /\bgzip\b/.test(String(r.req.headers['accept-encoding'] ?? ''));
  // Decompressive transcoding: a gzip object read by a client that cannot take gzip is
  // served decompressed, whole (ranges do not apply to the decompressed bytes).
  const transcode = storedGzip && !acceptsGzip;
  const range = transcode ? undefined : parseRange(r.req.headers.range, o.size);
  if (range === 'unsatisfiable') throw gcsErrors.rangeNotSatisfiable();

  const start = range?.start ?? 0;
  const end = range?.end ?? o.size - 1;
  // Opened synchronously right after the lookup: an overwrite cannot pull the blob away first.
  const body: Readable = ctx.blobs.read(o.blobId, start, end);

  const headers: Record<string, string | number> = {
    'Content-Type': f.contentType ?? 'application/octet-stream',
    'X-Goog-Hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'X-Goog-Generation': o.generation,
    'X-Goog-Metageneration': String(o.metageneration),
    'X-Goog-Stored-Content-Encoding': f.contentEncoding ?? 'identity',
    'X-Goog-Stored-Content-Length': String(o.size),
    'X-Goog-Storage-Class': f.storageClass ?? 'STANDARD',
    ETag: objectEtag(o),
    'Last-Modified': new Date(o.updated).toUTCString(),
    'Accept-Ranges': 'bytes',
  };
  if (f.contentDisposition) headers['Content-Disposition'] = f.contentDisposition;
  if (f.contentLanguage) headers['Content-Language'] = f.contentLanguage;
  if (f.cacheControl) headers['Cache-Control'] = f.cacheControl;
  if (storedGzip && !transcode) headers['Content-Encoding'] = 'gzip';
  if (!transcode) headers['Content-Length'] = end - start + 1 > 0 ? end - start + 1 : 0;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${o.size}`;

  r.res.writeHead(range ? 206 : 200, headers);
  try {
    if (transcode) await pipeline(body, createGunzip(), r.res);
    else await pipeline(body, r.res);
  } catch (err) {
    // The client went away mid-download; nothing to answer any more.
    ctx.logger.debug('gcs download interrupted', { bucket, name, err });
    body.destroy();
  }
}
