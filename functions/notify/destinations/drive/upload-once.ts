// One file into one Drive folder, at most once: under the folder's lock, look the content up by its
// SHA-256 (appProperties.sha256) and upload only when Drive does not have it. Whatever happened before
// — a second run fetching the same export, a redelivery after a crash between the upload and its
// record on the run, a holder that died mid-upload — the file found is the receipt. Files over the
// small-upload limit go through the resumable protocol, its session kept in
// `sluice-drive-uploads/<folder+hash>` so a retry resumes where Drive stands.
import { createHash } from 'node:crypto';
import { TransientError } from '../../../../shared/errors';
import type { Firestore } from '@google-cloud/firestore';
import type { DeliveryReceipt } from '../destination';
import { SHA256_PROPERTY, type DriveApi, type DriveFileResource } from './drive-api';
import { classifyDriveError, type DriveErrorContext } from './drive-errors';
import { withFolderLock, type FolderLockOptions } from './folder-lock';
import type { ObjectContent } from './object-content';
import { resumableUpload, type SessionStore } from './resumable-upload';

export const DRIVE_UPLOADS_COLLECTION = 'sluice-drive-uploads';
// Drive's own limit for a multipart upload ("Upload file data": 5 MB or less).
export const SMALL_UPLOAD_LIMIT = 5 * 1024 * 1024;
const FILE_FIELDS = 'id,name,size,sha256Checksum,webViewLink,createdTime';

export interface UploadOnceInput {
  api: DriveApi;
  firestore: Firestore;
  folderId: string;
  name: string;
  content: ObjectContent;
  lock: FolderLockOptions;
  errors: Omit<DriveErrorContext, 'doing'>;
  smallUploadLimit?: number;
  chunkBytes?: number;
}

export async function uploadOnce(input: UploadOnceInput): Promise<DeliveryReceipt> {
  const { api, content, folderId } = input;
  return withFolderLock(input.firestore, folderId, input.lock, async () => {
    const existing = await api.findByHash(folderId, content.sha256);
    if (existing[0]) return receiptOf(existing[0], folderId, content.sha256, true);
    const sessions = sessionStore(input.firestore, folderId, content.sha256, content.size);
    let file: DriveFileResource;
    if (content.size <= (input.smallUploadLimit ?? SMALL_UPLOAD_LIMIT)) {
      file = await api.createSmall({ parent: folderId, name: input.name, sha256: content.sha256, mimeType: content.contentType, body: content.open() });
    } else {
      try {
        ({ file } = await resumableUpload({
          access: api.access,
          metadata: { name: input.name, parents: [folderId], appProperties: { [SHA256_PROPERTY]: content.sha256 } },
          mimeType: content.contentType,
          total: content.size,
          open: (start) => content.open(start),
          session: sessions,
          fields: FILE_FIELDS,
          ...(input.chunkBytes ? { chunkBytes: input.chunkBytes } : {}),
        }));
      } catch (error) {
        throw classifyDriveError(error, { ...input.errors, doing: `uploading "${input.name}"` });
      }
      await sessions.clear();
    }
    // What Drive kept must be what we sent: a copy whose size or SHA-256 (Drive computes it for binary
    // files) differs would be found by its appProperties hash forever after as the file's receipt.
    const kept = keptDifferently(file, content);
    if (kept) {
      await api.remove(file.id).catch(() => { /* the next attempt finds it by hash and checks it again */ });
      throw new TransientError(`Drive kept "${input.name}" with ${kept}; the copy is removed and the upload is retried`);
    }
    // A holder whose lease ran out while it was stalled may have uploaded the same content beside us:
    // the oldest copy stays, the others go, so the folder ends with one.
    const copies = await api.findByHash(folderId, content.sha256);
    const keeper = copies[0];
    if (keeper && keeper.id !== file.id) {
      await api.remove(file.id);
      return receiptOf(keeper, folderId, content.sha256, true);
    }
    return receiptOf(file, folderId, content.sha256, false);
  });
}

// How the file Drive reports differs from the content sent; undefined when it does not (or Drive
// does not say).
export function keptDifferently(file: DriveFileResource, content: Pick<ObjectContent, 'size' | 'sha256'>): string | undefined {
  if (file.size !== undefined && Number(file.size) !== content.size) return `${file.size} bytes instead of ${content.size}`;
  if (file.sha256Checksum !== undefined && file.sha256Checksum.toLowerCase() !== content.sha256.toLowerCase()) return `SHA-256 ${file.sha256Checksum} instead of ${content.sha256}`;
  return undefined;
}

function receiptOf(file: DriveFileResource, folderId: string, sha256: string, found: boolean): DeliveryReceipt {
  return {
    fileId: file.id,
    folderId,
    name: file.name,
    sha256,
    found,
    ...(file.size !== undefined ? { size: Number(file.size) } : {}),
    ...(file.webViewLink ? { link: file.webViewLink } : {}),
  };
}

function sessionStore(firestore: Firestore, folderId: string, sha256: string, size: number): SessionStore & { clear(): Promise<void> } {
  const id = createHash('sha256').update(`${folderId}/${sha256}/${size}`).digest('hex');
  const ref = firestore.collection(DRIVE_UPLOADS_COLLECTION).doc(id);
  return {
    async load() {
      const data = (await ref.get()).data() as { sessionUri?: string } | undefined;
      return data?.sessionUri;
    },
    async save(uri) {
      await ref.set({ sessionUri: uri, folderId, sha256, size, startedAt: new Date().toISOString() });
    },
    async clear() {
      await ref.delete().catch(() => { /* a stale session only costs one status query */ });
    },
  };
}
