// The Google Drive destination: every file the run owes (drive-files.ts) copied once into the
// configured folder (or its dated subfolder), one delivery per file keyed `drive-<index>-<fileKey>`.
// Signing in, and the Drive client, happen on the first delivery that needs them, so a revoked token
// is that delivery's (permanent) failure, recorded and alerted once, not a crash of the whole notify.
import type { Firestore } from '@google-cloud/firestore';
import { printableName } from '../../../../shared/object-names';
import { googleApiAccess } from '../../../runtime/google-auth/create-google-api-access';
import type { GoogleApiAccessFactory } from '../../../runtime/google-auth/google-api-access';
import { GOOGLE_SCOPES } from '../../../runtime/google-auth/google-scopes';
import type { Delivery, Destination, DestinationRuntime } from '../destination';
import type { DriveDestination } from './config';
import { driveApi, type DriveApi } from './drive-api';
import { driveFilesOf, subfolderPath } from './drive-files';
import { withFolderLock, type FolderLockOptions } from './folder-lock';
import { objectContent } from './object-content';
import { uploadOnce } from './upload-once';


export interface DriveDestinationOptions {
  access?: GoogleApiAccessFactory;
  lock?: FolderLockOptions;
  smallUploadLimit?: number;
  chunkBytes?: number;
}

export function createDriveDestination(options: DriveDestinationOptions = {}): Destination<DriveDestination> {
  return {
    kind: 'drive',
    async deliveriesFor(config, index, runtime) {
      const files = driveFilesOf(config, runtime.run, runtime.files);
      if (files.length === 0) return [];
      const destination = `Drive destination ${index} (folder ${config.folderId})`;
      let api: DriveApi | undefined;
      const connect = async () => (api ??= await connectDrive(options.access ?? googleApiAccess, config, runtime, destination));
      const folders = new Map<string, Promise<string>>();
      const folderFor = (exportDate: string) => {
        const segments = subfolderPath(config.subfolder, exportDate);
        const key = segments.join('/');
        let found = folders.get(key);
        if (!found) {
          found = connect().then((drive) => ensureSubfolders(drive, runtime.firestore, config.folderId, segments, options.lock ?? {}));
          found.catch(() => folders.delete(key)); // a failure is tried again by the next file
          folders.set(key, found);
        }
        return found;
      };
      return files.map((file): Delivery => ({
        key: `drive-${index}-${file.fileKey}`,
        describe: `Drive upload of ${printableName(file.path)}`,
        async deliver() {
          const drive = await connect();
          const folderId = await folderFor(file.exportDate);
          const content = await objectContent(runtime.storage, runtime.bucket, file.object, file.sha256 ? { sha256: file.sha256 } : {});
          return uploadOnce({
            api: drive, firestore: runtime.firestore, folderId, name: file.name, content, lock: options.lock ?? {},
            errors: drive.errors,
            ...(options.smallUploadLimit !== undefined ? { smallUploadLimit: options.smallUploadLimit } : {}),
            ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
          });
        },
      }));
    },
  };
}

async function connectDrive(factory: GoogleApiAccessFactory, config: DriveDestination, runtime: DestinationRuntime, destination: string): Promise<DriveApi> {
  const access = await factory({
    pipeline: runtime.pipeline.name, config: config.auth, scopes: [...GOOGLE_SCOPES.drive!], secrets: runtime.secrets,
    localEndpoints: runtime.localEndpoints, firestore: runtime.firestore, logger: runtime.logger,
  });
  return driveApi(access, { ...(config.driveId ? { driveId: config.driveId } : {}), errors: { destination, signedInAs: access.describe, pipeline: runtime.pipeline.name, ...refreshTokenOf(config) } });
}

const refreshTokenOf = (config: DriveDestination) => (config.auth.kind === 'oauth' ? { refreshTokenSecret: config.auth.refreshToken.secret } : {});

// The subfolder path under the folder, each level found by name or created, under the parent's lock
// so two deliveries never create the same subfolder twice.
async function ensureSubfolders(drive: DriveApi, firestore: Firestore, folderId: string, segments: string[], lock: FolderLockOptions): Promise<string> {
  let parent = folderId;
  for (const name of segments) {
    const under = parent;
    parent = await withFolderLock(firestore, under, lock, async () => (await drive.findFolder(under, name)) ?? (await drive.createFolder(under, name)));
  }
  return parent;
}

export const driveDestination = createDriveDestination();
