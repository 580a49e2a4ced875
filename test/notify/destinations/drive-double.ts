// Arranging and inspecting Drive in the Google API double through its seeding API (no permission
// checks when looking): folders in a user's My Drive or a shared drive, shares, a folder's
// children, a file's bytes.
import type { DriveFileSnapshot, GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';

export interface DriveSeed {
  createFolder(owner: string, name: string, driveId?: string, sharedWith?: string[]): Promise<string>;
  createSharedDrive(name: string, members: string[]): Promise<string>;
  children(folderId: string): Promise<DriveFileSnapshot[]>;
  content(fileId: string): Promise<Buffer>;
}

export function driveOf(seed: GoogleApiDoubleClient): DriveSeed {
  return {
    async createFolder(owner, name, driveId, sharedWith = []) {
      const folder = await seed.createFolder({ name, ...(driveId ? { driveId } : { owner }) });
      for (const principal of sharedWith) await seed.shareDriveFile(folder.id, principal, 'writer');
      return folder.id;
    },
    async createSharedDrive(name, members) {
      return (await seed.createSharedDrive(name, members.map((principal) => ({ principal, role: 'fileOrganizer' as const })))).id;
    },
    async children(folderId) {
      return (await seed.driveFiles({ parentId: folderId })).sort((a, b) => a.name.localeCompare(b.name));
    },
    content: (fileId) => seed.driveFileContent(fileId),
  };
}
