// Arranging and inspecting Drive in the Google API double, through Drive v3 itself (the real
// googleapis client, a bearer token the double issues straight away): folders owned by a user or in
// a shared drive, sharing, listing a folder's children, reading a file's bytes.
import { drive_v3 } from 'googleapis/build/src/apis/drive/v3';
import { OAuth2Client } from 'google-auth-library';
import type { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';

export interface DriveItem { id: string; name: string; mimeType: string; size?: string; appProperties?: Record<string, string>; driveId?: string; parents?: string[] }

export interface DriveSeed {
  createFolder(owner: string, name: string, driveId?: string, sharedWith?: string[]): Promise<string>;
  createSharedDrive(name: string, members: string[], owner?: string): Promise<string>;
  children(folderId: string, as?: string): Promise<DriveItem[]>;
  content(fileId: string, as?: string): Promise<Buffer>;
}

const ADMIN = 'drive-admin@example.com';

export function driveOf(seed: GoogleApiDoubleClient): DriveSeed {
  const rootUrl = seed.endpoints.apiRoot;
  const as = async (principal: string) => {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: await seed.issueAccessToken({ principal, scopes: ['drive'], serviceAccount: principal.endsWith('.gserviceaccount.com') }) });
    return new drive_v3.Drive({ auth, rootUrl });
  };
  const all = { supportsAllDrives: true, includeItemsFromAllDrives: true };
  // Who may see what: a folder is read as its creator, and what is in it as the same.
  const owners = new Map<string, string>();
  return {
    async createFolder(owner, name, driveId, sharedWith = []) {
      const drive = await as(owner);
      const created = await drive.files.create({ supportsAllDrives: true, fields: 'id', requestBody: { name, mimeType: 'application/vnd.google-apps.folder', ...(driveId ? { parents: [driveId] } : {}) } }, { rootUrl });
      for (const email of sharedWith) {
        await drive.permissions.create({ fileId: created.data.id!, supportsAllDrives: true, requestBody: { type: 'user', role: 'writer', emailAddress: email } }, { rootUrl });
      }
      owners.set(created.data.id!, owner);
      return created.data.id!;
    },
    async createSharedDrive(name, members, owner = ADMIN) {
      const drive = await as(owner);
      const created = await drive.drives.create({ requestId: `${name}-${Date.now()}-${Math.random()}`, requestBody: { name } }, { rootUrl });
      for (const email of members) {
        await drive.permissions.create({ fileId: created.data.id!, supportsAllDrives: true, requestBody: { type: 'user', role: 'fileOrganizer', emailAddress: email } }, { rootUrl });
      }
      return created.data.id!;
    },
    async children(folderId, principal = owners.get(folderId) ?? ADMIN) {
      const drive = await as(principal);
      const listed = await drive.files.list({ ...all, corpora: 'allDrives', q: `'${folderId}' in parents and trashed = false`, fields: 'files(id,name,mimeType,size,appProperties,driveId,parents)', orderBy: 'name' }, { rootUrl });
      const items = (listed.data.files ?? []) as DriveItem[];
      for (const item of items) owners.set(item.id, principal);
      return items;
    },
    async content(fileId, principal = owners.get(fileId) ?? ADMIN) {
      const drive = await as(principal);
      const got = await drive.files.get({ fileId, alt: 'media', supportsAllDrives: true }, { rootUrl, responseType: 'arraybuffer' });
      return Buffer.from(got.data as unknown as ArrayBuffer);
    },
  };
}
