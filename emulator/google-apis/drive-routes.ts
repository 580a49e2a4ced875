// Drive v3, the subset the Drive destination uses: files.list (q, paging, shared-drive corpora),
// files.get (metadata and alt=media), files.create (metadata only, uploadType=media, multipart,
// and resumable), drives.list/get/create. supportsAllDrives decides whether shared-drive items
// exist for a request, as at Drive; a service account cannot own content in a My Drive.
import type { DoubleContext, Route, RouteRequest } from './context';
import { boundaryOf, readMultipartRelated } from '../gcs/multipart';
import { ApiError, badRequest } from './errors';
import type { ContentFacts, ContentSink } from './drive-content';
import { parseDriveQuery } from './drive-query';
import { DEFAULT_DRIVE_FIELDS, DEFAULT_DRIVE_LIST_FIELDS, DEFAULT_FILE_FIELDS, DEFAULT_LIST_FIELDS, driveJson, fileJson, sendMasked } from './drive-render';
import { FOLDER_MIME, driveNotFound, type DriveFile } from './drive-state';
import { parseContentRange, type PendingFile, type UploadSession } from './drive-uploads';
import { intParam, readJson } from './http';
import { DRIVE_READ, DRIVE_WRITE } from './scopes';

const flag = (r: RouteRequest, name: string) => r.query.get(name) === 'true';
const allDrives = (r: RouteRequest) => flag(r, 'supportsAllDrives') || flag(r, 'supportsTeamDrives');
const principalOf = (r: RouteRequest) => r.token.principal.toLowerCase();

export const serviceAccountQuota = () =>
  new ApiError(
    403,
    'Service Accounts do not have storage quota. Leverage shared drives (https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth delegation (http://support.google.com/a/answer/7281227) instead.',
    { reason: 'storageQuotaExceeded', domain: 'usageLimits' },
  );
const insufficientFilePermissions = () => new ApiError(403, 'The user does not have sufficient permissions for this file.', { reason: 'insufficientFilePermissions' });

interface FileMetadata {
  name?: string;
  mimeType?: string;
  parents?: string[];
  appProperties?: Record<string, string>;
  properties?: Record<string, string>;
  description?: string;
}

/** Checks where a new file may go and who will own it; throws Drive's answer when it may not. */
function prepare(ctx: DoubleContext, r: RouteRequest, metadata: FileMetadata, mediaType?: string): PendingFile {
  const principal = principalOf(r);
  const parents = metadata.parents ?? ['root'];
  if (parents.length !== 1) throw new ApiError(403, 'A shared drive item must have exactly one parent.', { reason: 'teamDrivesParentLimit' });
  const parent = ctx.drive.visible(principal, parents[0]!, allDrives(r));
  if (parent.mimeType !== FOLDER_MIME) throw badRequest(`The parent ${parent.id} is not a folder.`, 'invalidParent');
  if (!ctx.drive.canWrite(principal, parent)) throw insufficientFilePermissions();
  const mimeType = metadata.mimeType ?? mediaType ?? 'application/octet-stream';
  if (!parent.driveId && r.token.serviceAccount && mimeType !== FOLDER_MIME) throw serviceAccountQuota();
  return {
    name: metadata.name ?? 'Untitled',
    mimeType,
    parentId: parent.id,
    driveId: parent.driveId,
    owner: parent.driveId ? undefined : principal,
    appProperties: metadata.appProperties ?? {},
    properties: metadata.properties ?? {},
    description: metadata.description,
  };
}

async function finalize(ctx: DoubleContext, pending: PendingFile, sink?: ContentSink): Promise<DriveFile> {
  const facts: ContentFacts | undefined = sink ? await sink.finish() : pending.mimeType === FOLDER_MIME ? undefined : { size: 0, md5Checksum: 'd41d8cd98f00b204e9800998ecf8427e', sha256Checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };
  const id = ctx.drive.newFileId();
  if (sink) await ctx.content.commit(sink, id, 1);
  const now = new Date(ctx.now()).toISOString();
  const { parentId, ...rest } = pending;
  return ctx.drive.add({ ...rest, id, parents: [parentId], createdTime: now, modifiedTime: now, trashed: false, version: 1, ...(facts ?? {}) });
}

async function streamInto(sink: ContentSink, body: AsyncIterable<Buffer>, skip = 0, limit = Infinity): Promise<{ truncated: boolean }> {
  let toSkip = skip;
  let room = limit;
  for await (const raw of body) {
    let chunk = raw;
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(dropped);
      toSkip -= dropped;
    }
    if (chunk.length > room) {
      await sink.write(chunk.subarray(0, room));
      return { truncated: true };
    }
    await sink.write(chunk);
    room -= chunk.length;
  }
  return { truncated: false };
}

async function listFiles(ctx: DoubleContext, r: RouteRequest) {
  const principal = principalOf(r);
  const corpora = r.query.get('corpora') ?? 'user';
  const driveId = r.query.get('driveId');
  const includeAll = flag(r, 'includeItemsFromAllDrives') || flag(r, 'includeTeamDriveItems');
  if (includeAll && !allDrives(r)) throw badRequest('The includeItemsFromAllDrives parameter can only be set to true if supportsAllDrives is set to true.', 'invalid');
  if (corpora === 'drive') {
    if (!driveId) throw badRequest('The driveId parameter must be specified if and only if corpora is set to drive.', 'invalid');
    if (!includeAll) throw badRequest('The includeItemsFromAllDrives parameter must be set to true when corpora is set to drive.', 'invalid');
    if (!ctx.drive.drives.get(driveId)?.members.has(principal)) throw driveNotFound(driveId);
  } else if (driveId) {
    throw badRequest('The driveId parameter must be specified if and only if corpora is set to drive.', 'invalid');
  } else if (!['user', 'allDrives', 'domain'].includes(corpora)) {
    throw badRequest(`Invalid Value (corpora: ${corpora})`, 'invalid');
  }
  const predicate = parseDriveQuery(r.query.get('q') ?? '');
  const pageSize = intParam(r.query, 'pageSize', 100, 1000) || 100;
  const offset = r.query.get('pageToken') ? Number(Buffer.from(r.query.get('pageToken')!, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('Invalid Value (pageToken)', 'invalid');
  const matching = [...ctx.drive.files.values()]
    .filter((f) => !f.isRoot)
    .filter((f) => (corpora === 'drive' ? f.driveId === driveId : f.driveId === undefined || includeAll))
    .filter((f) => ctx.drive.roleOf(principal, f) !== undefined)
    .filter(predicate)
    .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.id.localeCompare(b.id));
  const page = matching.slice(offset, offset + pageSize);
  const more = offset + pageSize < matching.length;
  sendMasked(
    r.res,
    200,
    { kind: 'drive#fileList', incompleteSearch: false, ...(more ? { nextPageToken: Buffer.from(String(offset + pageSize)).toString('base64url') } : {}), files: page.map((f) => fileJson(f, principal)) },
    r.query.get('fields'),
    DEFAULT_LIST_FIELDS,
  );
}

async function getFile(ctx: DoubleContext, r: RouteRequest) {
  const principal = principalOf(r);
  const file = ctx.drive.visible(principal, r.params[0] ?? '', allDrives(r));
  if (r.query.get('alt') !== 'media') {
    sendMasked(r.res, 200, fileJson(file, principal), r.query.get('fields'), DEFAULT_FILE_FIELDS);
    return;
  }
  if (file.mimeType === FOLDER_MIME || file.size === undefined) throw new ApiError(403, 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', { reason: 'fileNotDownloadable', location: 'alt', locationType: 'parameter' });
  const size = file.size;
  const range = /^bytes=(\d+)-(\d*)$/.exec(r.req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  const headers: Record<string, string> = { 'content-type': file.mimeType, 'content-length': String(Math.max(0, end - start + 1)), 'x-goog-hash': `md5=${Buffer.from(file.md5Checksum ?? '', 'hex').toString('base64')}` };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  r.res.writeHead(range ? 206 : 200, headers);
  if (size === 0 || end < start) {
    r.res.end();
    return;
  }
  const stream = ctx.content.read(file.id, file.version, { start, end });
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    r.res.once('close', resolve);
    stream.pipe(r.res);
  });
}

async function createMetadataOnly(ctx: DoubleContext, r: RouteRequest) {
  const metadata = await readJson<FileMetadata>(r.req);
  const file = await finalize(ctx, prepare(ctx, r, metadata));
  sendMasked(r.res, 200, fileJson(file, principalOf(r)), r.query.get('fields'), DEFAULT_FILE_FIELDS);
}

async function upload(ctx: DoubleContext, r: RouteRequest) {
  const uploadType = r.query.get('uploadType');
  const principal = principalOf(r);
  if (uploadType === 'resumable') {
    const metadata = await readJson<FileMetadata>(r.req);
    const lengthHeader = r.req.headers['x-upload-content-length'];
    const pending = prepare(ctx, r, metadata, (r.req.headers['x-upload-content-type'] as string | undefined) ?? undefined);
    const session = ctx.uploads.open({ principal, pending, total: lengthHeader ? Number(lengthHeader) : undefined, sink: ctx.content.sink(), fields: r.query.get('fields') });
    const location = new URL('upload/drive/v3/files', ctx.urls.apiRoot);
    for (const [key, value] of r.query) if (key !== 'upload_id') location.searchParams.append(key, value);
    location.searchParams.set('upload_id', session.id);
    r.res.writeHead(200, { location: location.toString(), 'x-guploader-uploadid': session.id, 'content-length': '0' });
    r.res.end();
    return;
  }
  const sink = ctx.content.sink();
  try {
    let pending: PendingFile;
    if (uploadType === 'multipart') {
      const result = await readMultipartRelated(r.req, boundaryOf(r.req.headers['content-type']), (chunk) => sink.write(chunk));
      pending = prepare(ctx, r, (result.metadata ?? {}) as FileMetadata, result.mediaContentType);
    } else if (uploadType === 'media') {
      pending = prepare(ctx, r, {}, r.req.headers['content-type']);
      await streamInto(sink, r.req);
    } else {
      throw badRequest(`Invalid Value (uploadType: ${uploadType ?? ''})`, 'invalid');
    }
    const file = await finalize(ctx, pending, sink);
    sendMasked(r.res, 200, fileJson(file, principal), r.query.get('fields'), DEFAULT_FILE_FIELDS);
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

function sendProgress(r: RouteRequest, session: UploadSession) {
  const received = session.sink.size;
  r.res.writeHead(308, { 'content-length': '0', ...(received > 0 ? { range: `bytes=0-${received - 1}` } : {}), 'x-guploader-uploadid': session.id });
  r.res.end();
}

async function resumableChunk(ctx: DoubleContext, r: RouteRequest) {
  const session = ctx.uploads.get(r.query.get('upload_id'));
  if (!session || session.principal !== principalOf(r)) throw new ApiError(404, 'Upload session not found.', { reason: 'notFound' });
  const finished = async () => {
    const file = session.fileId ? ctx.drive.files.get(session.fileId)! : await finalize(ctx, session.pending, session.sink);
    session.fileId = file.id;
    sendMasked(r.res, 200, fileJson(file, session.principal), session.fields, DEFAULT_FILE_FIELDS);
  };
  if (session.fileId) return finished();
  const range = parseContentRange(r.req.headers['content-range']);
  const contentLength = Number(r.req.headers['content-length'] ?? 0);
  if (r.req.headers['content-range'] && !range) throw badRequest('Failed to parse Content-Range header.');
  const total = range?.total ?? (range ? session.total : contentLength);
  if (total !== undefined) {
    if (session.total !== undefined && session.total !== total) throw badRequest(`The upload length ${total} differs from the length given before (${session.total}).`);
    session.total = total;
  }
  if (range && range.start === undefined) {
    // A status query: how far did it get?
    if (session.total !== undefined && session.sink.size >= session.total) return finished();
    return sendProgress(r, session);
  }
  const start = range?.start ?? 0;
  if (start > session.sink.size) {
    throw badRequest(`Invalid request. According to the Content-Range header, the upload offset is ${start} byte(s), which exceeds already uploaded size of ${session.sink.size} byte(s).`);
  }
  const drop = ctx.faults.take('drive.upload.resumable', ['drop_after_bytes'], session.principal);
  const socket = r.req.socket; // leaving the body loop early detaches it from the request
  // Bytes already received (a client re-sending from an older offset) are skipped, not doubled.
  const { truncated } = await streamInto(session.sink, r.req, session.sink.size - start, drop?.kind === 'drop_after_bytes' ? drop.bytes : Infinity);
  if (truncated) {
    r.onFault(`drop_after_bytes ${drop?.kind === 'drop_after_bytes' ? drop.bytes : 0}`);
    socket.destroy();
    return;
  }
  if (session.total !== undefined && session.sink.size >= session.total) return finished();
  sendProgress(r, session);
}

async function listDrives(ctx: DoubleContext, r: RouteRequest) {
  const principal = principalOf(r);
  const drives = [...ctx.drive.drives.values()].filter((d) => d.members.has(principal)).map(driveJson);
  sendMasked(r.res, 200, { kind: 'drive#driveList', drives }, r.query.get('fields'), DEFAULT_DRIVE_LIST_FIELDS);
}

async function getDrive(ctx: DoubleContext, r: RouteRequest) {
  const drive = ctx.drive.drives.get(r.params[0] ?? '');
  if (!drive || !drive.members.has(principalOf(r))) throw driveNotFound(r.params[0] ?? '');
  sendMasked(r.res, 200, driveJson(drive), r.query.get('fields'), DEFAULT_DRIVE_FIELDS);
}

async function createDrive(ctx: DoubleContext, r: RouteRequest) {
  if (!r.query.get('requestId')) throw badRequest('Required parameter: requestId', 'required');
  const body = await readJson<{ name?: string }>(r.req);
  const drive = ctx.drive.createDrive(body.name ?? 'Untitled', [{ principal: principalOf(r), role: 'organizer' }]);
  sendMasked(r.res, 200, driveJson(drive), r.query.get('fields'), DEFAULT_DRIVE_FIELDS);
}

export const driveRoutes: Route[] = [
  { method: 'GET', pattern: /^\/drive\/v3\/files$/, operation: 'drive.files.list', scopes: DRIVE_READ, handle: listFiles },
  { method: 'POST', pattern: /^\/drive\/v3\/files$/, operation: 'drive.files.create', scopes: DRIVE_WRITE, handle: createMetadataOnly },
  { method: 'GET', pattern: /^\/drive\/v3\/files\/([^/]+)$/, operation: 'drive.files.get', scopes: DRIVE_READ, handle: getFile },
  { method: 'POST', pattern: /^\/upload\/drive\/v3\/files$/, operation: 'drive.files.create', scopes: DRIVE_WRITE, handle: upload },
  { method: 'PUT', pattern: /^\/upload\/drive\/v3\/files$/, operation: 'drive.upload.resumable', scopes: DRIVE_WRITE, handle: resumableChunk },
  { method: 'POST', pattern: /^\/drive\/v3\/drives$/, operation: 'drive.drives.create', scopes: [DRIVE_WRITE[0]!], handle: createDrive },
  { method: 'GET', pattern: /^\/drive\/v3\/drives$/, operation: 'drive.drives.list', scopes: DRIVE_READ, handle: listDrives },
  { method: 'GET', pattern: /^\/drive\/v3\/drives\/([^/]+)$/, operation: 'drive.drives.get', scopes: DRIVE_READ, handle: getDrive },
];
