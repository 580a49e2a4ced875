// The seeding and inspection API's Drive half (see seed-routes.ts): shared drives with members,
// folders and files with content in someone's My Drive or a shared drive, shares, and a listing
// of everything (no permission checks) with the bytes, for tests to look at what was uploaded.
import type { DoubleContext, Route, RouteRequest } from './context';
import { driveJson, fileJson } from './drive-render';
import { FOLDER_MIME, type DriveFile, type DriveRole } from './drive-state';
import { badRequest, notFound } from './errors';
import { readJson, sendJson } from './http';

const done = (r: RouteRequest, body: unknown = { ok: true }) => sendJson(r.res, 200, body);

async function createSharedDrive(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ name?: string; members?: Array<{ principal: string; role: DriveRole }> }>(r.req);
  if (!body.name) throw badRequest('name is required');
  done(r, driveJson(ctx.drive.createDrive(body.name, body.members ?? [])));
}

/** A folder in someone's My Drive (owner) or in a shared drive (driveId), under parentId or at the top. */
async function createFolder(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ id?: string; name?: string; owner?: string; driveId?: string; parentId?: string }>(r.req);
  // A fixed id lets a definition name the folder before the double exists (the demo's POS folder).
  // Seeding it again is a no-op when it is the same folder (a local cloud reused by a second start).
  if (body.id !== undefined) {
    if (!/^[A-Za-z0-9_-]{5,200}$/.test(body.id)) throw badRequest(`folder id ${body.id} is not a Drive id`);
    const existing = ctx.drive.files.get(body.id);
    if (existing && existing.mimeType === FOLDER_MIME && existing.name === body.name) return done(r, fileJson(existing, existing.owner ?? ''));
    if (existing) throw badRequest(`folder id ${body.id} is taken`);
  }
  const file = seedFile(ctx, { ...body, mimeType: FOLDER_MIME });
  done(r, fileJson(file, file.owner ?? ''));
}

function seedFile(ctx: DoubleContext, o: { id?: string; name?: string; owner?: string; driveId?: string; parentId?: string; mimeType: string; appProperties?: Record<string, string> }): DriveFile {
  if (!o.name) throw badRequest('name is required');
  if (!o.owner && !o.driveId && !o.parentId) throw badRequest('owner (a My Drive), driveId (a shared drive) or parentId is required');
  const parent = o.parentId ? ctx.drive.files.get(o.parentId) ?? (ctx.drive.drives.has(o.parentId) ? undefined : null) : undefined;
  if (parent === null) throw notFound(`no folder ${o.parentId}`);
  const driveId = parent?.driveId ?? (o.parentId && ctx.drive.drives.has(o.parentId) ? o.parentId : o.driveId);
  if (driveId && !ctx.drive.drives.has(driveId)) throw notFound(`no shared drive ${driveId}`);
  const owner = driveId ? undefined : (o.owner ?? parent?.owner)?.toLowerCase();
  const parentId = o.parentId ?? driveId ?? ctx.drive.rootOf(owner!).id;
  const now = new Date(ctx.now()).toISOString();
  return ctx.drive.add({ id: o.id ?? ctx.drive.newFileId(), name: o.name, mimeType: o.mimeType, parents: [parentId], driveId, owner, appProperties: o.appProperties ?? {}, properties: {}, createdTime: now, modifiedTime: now, trashed: false, version: 1 });
}

/** A file with content (the request body), e.g. one uploaded "earlier" for a dedupe test. */
async function createFile(ctx: DoubleContext, r: RouteRequest) {
  const q = r.query;
  const file = seedFile(ctx, {
    name: q.get('name') ?? undefined,
    owner: q.get('owner') ?? undefined,
    driveId: q.get('driveId') ?? undefined,
    parentId: q.get('parentId') ?? undefined,
    mimeType: q.get('mimeType') ?? 'application/octet-stream',
    appProperties: q.get('appProperties') ? (JSON.parse(q.get('appProperties')!) as Record<string, string>) : undefined,
  });
  const sink = ctx.content.sink();
  for await (const chunk of r.req) await sink.write(chunk as Buffer);
  Object.assign(file, await sink.finish());
  await ctx.content.commit(sink, file.id, 1);
  done(r, fileJson(file, file.owner ?? ''));
}

async function shareFile(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ fileId?: string; principal?: string; role?: DriveRole }>(r.req);
  if (!body.fileId || !ctx.drive.files.has(body.fileId) || !body.principal) throw badRequest('fileId (existing) and principal are required');
  ctx.drive.share(body.fileId, body.principal, body.role ?? 'writer');
  done(r);
}

/** Every file (no permission checks), optionally under one parent or in one shared drive. */
async function listDriveFiles(ctx: DoubleContext, r: RouteRequest) {
  const parentId = r.query.get('parentId');
  const driveId = r.query.get('driveId');
  const files = [...ctx.drive.files.values()]
    .filter((f) => !f.isRoot && (!parentId || f.parents.includes(parentId)) && (!driveId || f.driveId === driveId))
    .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.id.localeCompare(b.id))
    .map((f) => fileJson(f, f.owner ?? ''));
  done(r, { files });
}

async function driveFileContent(ctx: DoubleContext, r: RouteRequest) {
  const file = ctx.drive.files.get(r.params[0] ?? '');
  if (!file || file.size === undefined) throw notFound('no such file with content');
  r.res.writeHead(200, { 'content-type': file.mimeType, 'content-length': String(file.size) });
  if (file.size === 0) return void r.res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = ctx.content.read(file.id, file.version);
    stream.once('error', reject);
    r.res.once('close', resolve);
    stream.pipe(r.res);
  });
}

const p = (rest: string) => new RegExp('^\\/_double\\/drive' + rest + '$');
export const seedDriveRoutes: Route[] = [
  { method: 'POST', pattern: p('\\/shared-drives'), operation: 'double.seed', handle: createSharedDrive },
  { method: 'POST', pattern: p('\\/folders'), operation: 'double.seed', handle: createFolder },
  { method: 'POST', pattern: p('\\/files'), operation: 'double.seed', handle: createFile },
  { method: 'POST', pattern: p('\\/shares'), operation: 'double.seed', handle: shareFile },
  { method: 'GET', pattern: p('\\/files'), operation: 'double.inspect', handle: listDriveFiles },
  { method: 'GET', pattern: p('\\/files\\/([^/]+)\\/content'), operation: 'double.inspect', handle: driveFileContent },
];
