// Drive's files and shared drives, per principal. Who sees a file: its owner (who created it in a
// My Drive), anyone a file or one of its folders is shared with, and the members of the shared
// drive it lives in. File bytes live on disk (drive-content.ts); only their facts are here.
import crypto from 'node:crypto';
import { ApiError } from './errors';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export type DriveRole = 'reader' | 'commenter' | 'writer' | 'fileOrganizer' | 'organizer' | 'owner';
const WRITERS: ReadonlySet<DriveRole> = new Set(['writer', 'fileOrganizer', 'organizer', 'owner']);

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  /** Set for files in a shared drive (the drive owns them, not a person). */
  driveId?: string;
  /** Who created it in a My Drive, and owns it (and its storage). */
  owner?: string;
  appProperties: Record<string, string>;
  properties: Record<string, string>;
  description?: string;
  createdTime: string;
  modifiedTime: string;
  trashed: boolean;
  version: number;
  size?: number;
  md5Checksum?: string;
  sha256Checksum?: string;
  /** The principal's My Drive root: never listed, parent of top-level files. */
  isRoot?: boolean;
}

export interface SharedDrive {
  id: string;
  name: string;
  createdTime: string;
  members: Map<string, DriveRole>;
}

export const fileNotFound = (id: string) => new ApiError(404, `File not found: ${id}.`, { reason: 'notFound', location: 'fileId', locationType: 'parameter' });
export const driveNotFound = (id: string) => new ApiError(404, `Shared drive not found: ${id}`, { reason: 'notFound', location: 'driveId', locationType: 'parameter' });

const randomId = (length: number) => crypto.randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);

export class DriveState {
  readonly files = new Map<string, DriveFile>();
  readonly drives = new Map<string, SharedDrive>();
  /** fileId → principal → role: explicit shares of a My Drive file or folder. */
  readonly shares = new Map<string, Map<string, DriveRole>>();
  private readonly roots = new Map<string, string>();

  newFileId(): string {
    return '1' + randomId(32);
  }

  rootOf(principal: string): DriveFile {
    let id = this.roots.get(principal);
    if (!id) {
      id = '0A' + randomId(17) + 'Uk9PVA';
      const now = new Date().toISOString();
      this.files.set(id, { id, name: 'My Drive', mimeType: FOLDER_MIME, parents: [], owner: principal, appProperties: {}, properties: {}, createdTime: now, modifiedTime: now, trashed: false, version: 1, isRoot: true });
      this.roots.set(principal, id);
    }
    return this.files.get(id)!;
  }

  createDrive(name: string, members: Array<{ principal: string; role: DriveRole }>): SharedDrive {
    const id = '0A' + randomId(17) + 'Uk9PVA';
    const drive: SharedDrive = { id, name, createdTime: new Date().toISOString(), members: new Map(members.map((m) => [m.principal.toLowerCase(), m.role])) };
    this.drives.set(id, drive);
    return drive;
  }

  share(fileId: string, principal: string, role: DriveRole): void {
    let map = this.shares.get(fileId);
    if (!map) this.shares.set(fileId, (map = new Map()));
    map.set(principal.toLowerCase(), role);
  }

  /** The principal's role on a file: through the shared drive, ownership, or a share of it or a folder above it. */
  roleOf(principal: string, file: DriveFile): DriveRole | undefined {
    if (file.driveId) return this.drives.get(file.driveId)?.members.get(principal);
    const seen = new Set<string>();
    let current: DriveFile | undefined = file;
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      if (current.owner === principal) return 'owner';
      const shared = this.shares.get(current.id)?.get(principal);
      if (shared) return shared;
      current = current.parents[0] ? this.files.get(current.parents[0]) : undefined;
    }
    return undefined;
  }

  canWrite(principal: string, file: DriveFile): boolean {
    const role = this.roleOf(principal, file);
    return role !== undefined && WRITERS.has(role);
  }

  /**
   * A file or folder the principal may see, by id ('root' is their My Drive; a shared drive's id
   * is its root folder). Shared-drive items are 404 unless the caller said supportsAllDrives, as at Drive.
   */
  visible(principal: string, id: string, supportsAllDrives: boolean): DriveFile {
    if (id === 'root') return this.rootOf(principal);
    const drive = this.drives.get(id);
    if (drive) {
      if (!supportsAllDrives || !drive.members.has(principal)) throw fileNotFound(id);
      return { id, name: drive.name, mimeType: FOLDER_MIME, parents: [], driveId: id, appProperties: {}, properties: {}, createdTime: drive.createdTime, modifiedTime: drive.createdTime, trashed: false, version: 1, isRoot: true };
    }
    const file = this.files.get(id);
    if (!file || (file.driveId && !supportsAllDrives) || this.roleOf(principal, file) === undefined) throw fileNotFound(id);
    return file;
  }

  add(file: DriveFile): DriveFile {
    this.files.set(file.id, file);
    return file;
  }

  clear(): void {
    this.files.clear();
    this.drives.clear();
    this.shares.clear();
    this.roots.clear();
  }
}
