import type { GcsContext, GcsRequest } from './context';
import { gcsErrors } from './errors';
import { createBucket, deleteBucket, getBucket, listBuckets, patchBucket } from './handlers/buckets';
import { composeObject } from './handlers/compose';
import { copyToObject, moveObject, rewriteObject } from './handlers/copy';
import { downloadObject } from './handlers/download';
import { identities } from './handlers/identities';
import { listObjects } from './handlers/list';
import { createNotification, deleteNotification, getNotification, listNotifications } from './handlers/notifications';
import { deleteObject, getObjectMetadata, patchObject } from './handlers/objects';
import { uploadMediaOrMultipart } from './handlers/upload-simple';
import { resumableSession, startResumable } from './handlers/upload-resumable';
import { refuseUnsupported } from './unsupported-params';

// Maps a request to its handler. Three URL families, as on storage.googleapis.com:
//   /storage/v1/...           JSON API (also bare /b/..., what the client sends when
//                             STORAGE_EMULATOR_HOST is set: it uses that value as the base URL)
//   /upload/storage/v1/...    uploads (media, multipart, resumable sessions)
//   /download/storage/v1/...  media downloads (mediaLink)
// Object names arrive percent-encoded in one path segment; segments are decoded one by one.

function segmentsOf(path: string): string[] {
  try {
    return path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw gcsErrors.invalid('Invalid percent-encoding in the request path.');
  }
}

export async function route(ctx: GcsContext, r: GcsRequest, pathname: string): Promise<void> {
  const method = r.req.method ?? 'GET';
  if (pathname === '/_sluice/identities' || pathname.startsWith('/_sluice/identities/')) {
    const s = segmentsOf(pathname.slice('/_sluice/identities'.length));
    if (s.length > 1) throw gcsErrors.notFoundPath(pathname);
    return identities(ctx, r, s[0]);
  }
  if (pathname.startsWith('/upload/storage/v1/')) return routeUpload(ctx, r, method, segmentsOf(pathname.slice(18)));
  if (pathname.startsWith('/download/storage/v1/')) {
    const s = segmentsOf(pathname.slice(20));
    if (method === 'GET' && s[0] === 'b' && s[2] === 'o' && s.length >= 4) {
      refuseUnsupported(r.query, 'objects.get');
      r.access.object('storage.objects.get', s[1]!, s.slice(3).join('/'));
      return downloadObject(ctx, r, s[1]!, s.slice(3).join('/'));
    }
    throw gcsErrors.notFoundPath(pathname);
  }
  const jsonPath = pathname.startsWith('/storage/v1/') || pathname === '/storage/v1' ? pathname.slice(11) : pathname;
  return routeJson(ctx, r, method, segmentsOf(jsonPath), pathname);
}

async function routeUpload(ctx: GcsContext, r: GcsRequest, method: string, s: string[]): Promise<void> {
  const uploadId = r.query.get('upload_id');
  if (uploadId) return resumableSession(ctx, r, uploadId);
  if (s[0] !== 'b' || s[2] !== 'o' || s.length !== 3 || method !== 'POST') throw gcsErrors.notFoundPath(`/upload/storage/v1/${s.join('/')}`);
  const bucket = s[1]!;
  refuseUnsupported(r.query, 'objects.insert');
  const isMultipartBody = /^multipart\//i.test(String(r.req.headers['content-type'] ?? ''));
  const uploadType = r.query.get('uploadType') ?? (isMultipartBody ? 'multipart' : 'media');
  switch (uploadType) {
    case 'resumable':
      return startResumable(ctx, r, bucket);
    case 'multipart':
      return uploadMediaOrMultipart(ctx, r, bucket, true);
    case 'media':
      return uploadMediaOrMultipart(ctx, r, bucket, false);
    default:
      throw gcsErrors.invalid(`Invalid uploadType: ${uploadType}`);
  }
}

async function routeJson(ctx: GcsContext, r: GcsRequest, method: string, s: string[], pathname: string): Promise<void> {
  if (s[0] !== 'b') throw gcsErrors.notFoundPath(pathname);
  const n = s.length;
  // Permissions are checked here, before any lookup, so a caller without access learns nothing
  // about what exists (403, not 404), as in GCS. Writes are also checked where they replace an
  // object (Access.write), since replacing needs delete as well.
  const { access } = r;
  const project = r.query.get('project') ?? 'emulator-project';
  if (n === 1) {
    access.project(method === 'POST' ? 'storage.buckets.create' : 'storage.buckets.list', project);
    if (method === 'GET') return listBuckets(ctx, r);
    if (method === 'POST') refuseUnsupported(r.query, 'buckets.insert');
    if (method === 'POST') return createBucket(ctx, r);
    throw gcsErrors.methodNotAllowed();
  }
  const bucket = s[1]!;
  if (n === 2) {
    access.bucket(method === 'GET' ? 'storage.buckets.get' : method === 'DELETE' ? 'storage.buckets.delete' : 'storage.buckets.update', bucket);
    if (method === 'GET') return getBucket(ctx, r, bucket);
    if (method === 'PATCH' || method === 'PUT') refuseUnsupported(r.query, 'buckets.patch');
    if (method === 'PATCH' || method === 'PUT') return patchBucket(ctx, r, bucket, method === 'PUT');
    if (method === 'DELETE') return deleteBucket(ctx, r, bucket);
    throw gcsErrors.methodNotAllowed();
  }
  if (s[2] === 'notificationConfigs') {
    access.bucket(method === 'GET' ? 'storage.buckets.get' : 'storage.buckets.update', bucket);
    if (n === 3 && method === 'GET') return listNotifications(ctx, r, bucket);
    if (n === 3 && method === 'POST') return createNotification(ctx, r, bucket);
    if (n === 4 && method === 'GET') return getNotification(ctx, r, bucket, s[3]!);
    if (n === 4 && method === 'DELETE') return deleteNotification(ctx, r, bucket, s[3]!);
    throw gcsErrors.notFoundPath(pathname);
  }
  if (s[2] !== 'o') throw gcsErrors.notFoundPath(pathname);
  if (n === 3) {
    access.bucket('storage.objects.list', bucket);
    refuseUnsupported(r.query, 'objects.list');
    if (method === 'GET') return listObjects(ctx, r, bucket);
    throw gcsErrors.methodNotAllowed();
  }
  // .../o/SRC/rewriteTo/b/DB/o/DEST and .../o/SRC/copyTo/b/DB/o/DEST
  if (n >= 8 && (s[n - 5] === 'rewriteTo' || s[n - 5] === 'copyTo') && s[n - 4] === 'b' && s[n - 2] === 'o' && method === 'POST') {
    const src = { bucket, name: s.slice(3, n - 5).join('/') };
    const dest = { bucket: s[n - 3]!, name: s[n - 1]! };
    access.object('storage.objects.get', src.bucket, src.name);
    access.object('storage.objects.create', dest.bucket, dest.name);
    refuseUnsupported(r.query, 'objects.rewrite');
    return s[n - 5] === 'rewriteTo' ? rewriteObject(ctx, r, src, dest) : copyToObject(ctx, r, src, dest);
  }
  // .../o/SRC/moveTo/o/DEST
  if (n >= 7 && s[n - 3] === 'moveTo' && s[n - 2] === 'o' && method === 'POST') {
    const from = s.slice(3, n - 3).join('/');
    access.object('storage.objects.get', bucket, from);
    access.object('storage.objects.delete', bucket, from);
    access.object('storage.objects.create', bucket, s[n - 1]!);
    refuseUnsupported(r.query, 'objects.rewrite');
    return moveObject(ctx, r, bucket, from, s[n - 1]!);
  }
  // The sources are named in the body: composeObject checks them.
  if (n >= 5 && s[n - 1] === 'compose' && method === 'POST') {
    access.object('storage.objects.create', bucket, s.slice(3, n - 1).join('/'));
    refuseUnsupported(r.query, 'objects.compose');
    return composeObject(ctx, r, bucket, s.slice(3, n - 1).join('/'));
  }
  const name = s.slice(3).join('/');
  switch (method) {
    case 'GET':
      access.object('storage.objects.get', bucket, name);
      refuseUnsupported(r.query, 'objects.get');
      return r.query.get('alt') === 'media' ? downloadObject(ctx, r, bucket, name) : getObjectMetadata(ctx, r, bucket, name);
    case 'PATCH':
    case 'PUT':
      access.object('storage.objects.update', bucket, name);
      refuseUnsupported(r.query, 'objects.patch');
      return patchObject(ctx, r, bucket, name, method === 'PUT');
    case 'DELETE':
      access.object('storage.objects.delete', bucket, name);
      refuseUnsupported(r.query, 'objects.delete');
      return deleteObject(ctx, r, bucket, name);
    default:
      throw gcsErrors.methodNotAllowed();
  }
}
