// Drive's resumable upload, written against the documented protocol (the Node client has none it
// exposes for streaming with resume): "Upload file data → Perform a resumable upload".
//  1. POST {root}upload/drive/v3/files?uploadType=resumable with the file's metadata as JSON and
//     X-Upload-Content-Type / -Length → 200 with the session URI in Location (valid about a week).
//  2. PUT the bytes to the session URI in chunks (a multiple of 256 KiB, all but the last), each with
//     Content-Range `bytes <first>-<last>/<total>` → 308 Resume Incomplete with Range `bytes=0-<n>`
//     (what Drive has kept, which may be less than was sent) until the last → 200/201 with the file.
//  3. After an error, or on a retry that finds a stored session: PUT with no body and Content-Range
//     `bytes */<total>` asks where it stands → 308 (+ Range) to go on, 200/201 when it is complete
//     (a crash after the last chunk), 404 when the session is gone (start again).
// Memory is bounded by one chunk (1 MiB): the object is streamed from Cloud Storage from the offset Drive
// reports, never buffered whole. The session URI is kept by the caller (a Firestore document) so a
// redelivery resumes instead of starting over. It is a capability to write the file: never logged.
import type { Readable } from 'node:stream';
import { TransientError } from '../../../../shared/errors';
import type { GoogleApiAccess } from '../../../runtime/google-auth/google-api-access';
import type { DriveFileResource } from './drive-api';

export const CHUNK_GRANULE = 256 * 1024;
// 1 MiB: notify runs in 256 MiB and the upload's peak RSS is bounded by its chunk. Measured with 200 MB
// on the double (bench part drive, the worker bundled as the function is): 1 MiB chunks peaked at
// 147 MB RSS (43 MB/s), 2 MiB at 154 MB (48 MB/s), a process only reading the object at 117–120 MB;
// under tsx 8 MiB reached 210 MB. Against Google each chunk is a round trip, so larger chunks pay off
// there only where memory allows.
export const DEFAULT_CHUNK_BYTES = 4 * CHUNK_GRANULE;

export interface SessionStore {
  load(): Promise<string | undefined>;
  save(uri: string): Promise<void>;
}

export interface ResumableUploadInput {
  access: GoogleApiAccess;
  metadata: { name: string; parents: string[]; appProperties: Record<string, string> };
  mimeType: string;
  total: number;
  // The content from byte `start` to the end.
  open(start: number): Readable;
  session: SessionStore;
  chunkBytes?: number;
  // Status queries after failed chunks before the attempt gives up (the message is then retried).
  maxRecoveries?: number;
  fields: string;
}

// An HTTP answer the caller classifies (classifyDriveError reads `response.status` / `response.data`).
export class DriveHttpError extends Error {
  override name = 'DriveHttpError';
  readonly response: { status: number; data: unknown };
  constructor(what: string, status: number, data: unknown) {
    super(`${what}: HTTP ${status}`);
    this.response = { status, data };
  }
}

type Status = { kind: 'done'; file: DriveFileResource } | { kind: 'at'; offset: number } | { kind: 'gone' };

export async function resumableUpload(input: ResumableUploadInput): Promise<{ file: DriveFileResource; resumedAt?: number }> {
  const chunkBytes = input.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (chunkBytes % CHUNK_GRANULE !== 0 || chunkBytes <= 0) throw new Error(`chunk size ${chunkBytes} is not a multiple of 256 KiB`);
  let uri = await input.session.load();
  let status: Status = uri ? await queryStatus(input, uri) : { kind: 'gone' };
  const resumedAt = status.kind === 'at' && status.offset > 0 ? status.offset : undefined;
  if (status.kind === 'done') return { file: status.file, resumedAt: input.total };
  if (status.kind === 'gone') {
    uri = await initiate(input);
    await input.session.save(uri);
    status = { kind: 'at', offset: 0 };
  }
  let offset = status.offset;
  let recoveries = 0;
  for (;;) {
    try {
      const outcome = await sendFrom(input, uri!, offset, chunkBytes);
      if (outcome.kind === 'done') return { file: outcome.file, ...(resumedAt !== undefined ? { resumedAt } : {}) };
      if (outcome.kind === 'gone') throw new TransientError('the Drive upload session expired mid-upload; starting again on the retry');
      // Drive kept less than was sent: go on from what it has, but not forever if it keeps nothing.
      if (outcome.offset <= offset && ++recoveries > (input.maxRecoveries ?? 3)) throw new TransientError(`Drive keeps refusing bytes from ${offset} on; trying again later`);
      offset = outcome.offset;
      continue;
    } catch (error) {
      if (error instanceof TransientError) throw error;
      // A chunk failed (a 5xx, a dropped connection): ask Drive what it has, and go on from there.
      if (error instanceof DriveHttpError && error.response.status < 500 && error.response.status !== 429 && error.response.status !== 408) throw error;
      if (++recoveries > (input.maxRecoveries ?? 3)) throw error;
      const now = await queryStatus(input, uri!);
      if (now.kind === 'done') return { file: now.file, ...(resumedAt !== undefined ? { resumedAt } : {}) };
      if (now.kind === 'gone') throw new TransientError('the Drive upload session expired; starting again on the retry', { cause: error });
      offset = now.offset;
    }
  }
}

async function authHeaders(access: GoogleApiAccess, url: string): Promise<Headers> {
  return new Headers(await access.auth.getRequestHeaders(url));
}

async function initiate(input: ResumableUploadInput): Promise<string> {
  const url = new URL('upload/drive/v3/files', input.access.rootUrl);
  url.searchParams.set('uploadType', 'resumable');
  url.searchParams.set('supportsAllDrives', 'true');
  url.searchParams.set('fields', input.fields);
  const headers = await authHeaders(input.access, url.href);
  headers.set('Content-Type', 'application/json; charset=UTF-8');
  headers.set('X-Upload-Content-Type', input.mimeType);
  headers.set('X-Upload-Content-Length', String(input.total));
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(input.metadata) });
  const body = await bodyOf(response);
  const location = response.headers.get('location');
  if (!response.ok) throw new DriveHttpError('starting the resumable upload', response.status, body);
  if (!location) throw new TransientError('Drive started a resumable upload without a session URI');
  return location;
}

// Streams the content from `offset`, one chunk at a time; returns when Drive has it all, or when it
// kept less than was sent (the stream is then restarted at Drive's offset by the caller).
async function sendFrom(input: ResumableUploadInput, uri: string, offset: number, chunkBytes: number): Promise<Status> {
  const stream = input.open(offset);
  const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(input.total - offset, 1)));
  let filled = 0;
  let start = offset;
  const flush = async (): Promise<Status> => {
    const status = await putChunk(input, uri, chunk.subarray(0, filled), start);
    start += filled;
    filled = 0;
    return status;
  };
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < piece.length) {
        const n = Math.min(piece.length - at, chunk.length - filled);
        piece.copy(chunk, filled, at, at + n);
        filled += n;
        at += n;
        if (filled === chunk.length && start + filled < input.total) {
          const status = await flush();
          // Drive kept less than was sent (or is done, or the session is gone): the caller goes on from there.
          if (status.kind !== 'at' || status.offset !== start) return status;
        }
      }
    }
    if (start + filled !== input.total) throw new TransientError(`the object ended at byte ${start + filled} of ${input.total}`);
    return await flush();
  } finally {
    stream.destroy();
  }
}

async function putChunk(input: ResumableUploadInput, uri: string, bytes: Buffer, start: number): Promise<Status> {
  const headers = await authHeaders(input.access, uri);
  headers.set('Content-Range', bytes.length === 0 ? `bytes */${input.total}` : `bytes ${start}-${start + bytes.length - 1}/${input.total}`);
  const response = await fetch(uri, { method: 'PUT', headers, body: bytes });
  return statusOf(response, 'sending a chunk');
}

async function queryStatus(input: ResumableUploadInput, uri: string): Promise<Status> {
  const headers = await authHeaders(input.access, uri);
  headers.set('Content-Range', `bytes */${input.total}`);
  const response = await fetch(uri, { method: 'PUT', headers, body: Buffer.alloc(0) });
  return statusOf(response, 'asking where the upload stands');
}

async function statusOf(response: Response, what: string): Promise<Status> {
  if (response.status === 308) {
    await response.arrayBuffer();
    // Range: bytes=0-<last byte kept>; absent when Drive has nothing yet.
    const range = /^bytes=0-(\d+)$/.exec(response.headers.get('range') ?? '');
    return { kind: 'at', offset: range ? Number(range[1]) + 1 : 0 };
  }
  const body = await bodyOf(response);
  if (response.status === 200 || response.status === 201) return { kind: 'done', file: body as DriveFileResource };
  if (response.status === 404 || response.status === 410) return { kind: 'gone' };
  throw new DriveHttpError(what, response.status, body);
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 300);
  }
}
