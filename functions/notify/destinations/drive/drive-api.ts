// The few Drive v3 calls the destination makes, on the real googleapis client (only the Drive API is
// loaded, not the whole googleapis index). `supportsAllDrives` on every call, so a folder in a shared
// drive works as one in a My Drive; `rootUrl` on every call too, since media uploads ignore the
// client-level setting. Errors leave through classifyDriveError.
import type { Readable } from 'node:stream';
import { drive_v3 } from 'googleapis/build/src/apis/drive/v3';
import type { GoogleApiAccess } from '../../../runtime/google-auth/google-api-access';
import { classifyDriveError, type DriveErrorContext } from './drive-errors';

export const FOLDER_MIME_TYPE = 'application/vnd.google-apps.folder';
export const SHA256_PROPERTY = 'sha256';
const FILE_FIELDS = 'id,name,size,sha256Checksum,webViewLink,createdTime';

// sha256Checksum: what Drive computed of the bytes it kept (binary files), checked against ours.
export interface DriveFileResource { id: string; name: string; size?: string; sha256Checksum?: string; webViewLink?: string; createdTime?: string }

export interface DriveApi {
  access: GoogleApiAccess;
  errors: Omit<DriveErrorContext, 'doing'>;
  findFolder(parent: string, name: string): Promise<string | undefined>;
  createFolder(parent: string, name: string): Promise<string>;
  // Files in `parent` whose appProperties.sha256 is this hash, oldest first.
  findByHash(parent: string, sha256: string): Promise<DriveFileResource[]>;
  createSmall(input: { parent: string; name: string; sha256: string; mimeType: string; body: Readable }): Promise<DriveFileResource>;
  remove(fileId: string): Promise<void>;
}

// A string literal in a Drive query: backslash and single quote escaped.
export const queryLiteral = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function driveApi(access: GoogleApiAccess, options: { driveId?: string; errors: Omit<DriveErrorContext, 'doing'> }): DriveApi {
  const drive = new drive_v3.Drive({ auth: access.auth as never, rootUrl: access.rootUrl });
  const call = { rootUrl: access.rootUrl };
  const scope = options.driveId
    ? { corpora: 'drive', driveId: options.driveId, includeItemsFromAllDrives: true, supportsAllDrives: true }
    : { includeItemsFromAllDrives: true, supportsAllDrives: true };
  const guard = async <T>(doing: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw classifyDriveError(error, { ...options.errors, doing });
    }
  };
  const list = async (q: string, doing: string) => guard(doing, async () => {
    const response = await drive.files.list({ ...scope, q, fields: `files(${FILE_FIELDS})`, orderBy: 'createdTime', pageSize: 100, spaces: 'drive' }, call);
    return (response.data.files ?? []) as DriveFileResource[];
  });
  return {
    access,
    errors: options.errors,
    async findFolder(parent, name) {
      const found = await list(`mimeType = '${FOLDER_MIME_TYPE}' and name = ${queryLiteral(name)} and ${queryLiteral(parent)} in parents and trashed = false`, `looking up subfolder "${name}" in folder ${parent}`);
      return found[0]?.id;
    },
    async createFolder(parent, name) {
      return guard(`creating subfolder "${name}" in folder ${parent}`, async () => {
        const response = await drive.files.create({ supportsAllDrives: true, fields: 'id', requestBody: { name, mimeType: FOLDER_MIME_TYPE, parents: [parent] } }, call);
        return response.data.id!;
      });
    },
    async findByHash(parent, sha256) {
      return list(`appProperties has { key='${SHA256_PROPERTY}' and value='${sha256}' } and ${queryLiteral(parent)} in parents and trashed = false`, `looking up the file's hash in folder ${parent}`);
    },
    async createSmall(input) {
      return guard(`uploading "${input.name}"`, async () => {
        const response = await drive.files.create({
          supportsAllDrives: true,
          fields: FILE_FIELDS,
          requestBody: { name: input.name, parents: [input.parent], appProperties: { [SHA256_PROPERTY]: input.sha256 } },
          media: { mimeType: input.mimeType, body: input.body },
        }, call);
        return response.data as DriveFileResource;
      });
    },
    async remove(fileId) {
      await guard(`removing duplicate ${fileId}`, async () => { await drive.files.delete({ fileId, supportsAllDrives: true }, call); });
    },
  };
}
