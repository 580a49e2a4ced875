// Drive resources as JSON, trimmed to the `fields` asked for. Without `fields` Drive answers only
// kind, id, name and mimeType of a file (and files(...), nextPageToken of a list): a client that
// relies on md5Checksum or appProperties without asking for them gets nothing here either.
import type { ServerResponse } from 'node:http';
import { applyFieldMask, parseFieldMask } from '../gcs/field-mask';
import { ApiError } from './errors';
import { FOLDER_MIME, type DriveFile, type SharedDrive } from './drive-state';
import { sendJson } from './http';

export const DEFAULT_FILE_FIELDS = 'kind,id,name,mimeType';
export const DEFAULT_LIST_FIELDS = 'kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)';
export const DEFAULT_DRIVE_FIELDS = 'kind,id,name';
export const DEFAULT_DRIVE_LIST_FIELDS = 'kind,nextPageToken,drives(kind,id,name)';

export function fileJson(file: DriveFile, principal: string): Record<string, unknown> {
  const isFolder = file.mimeType === FOLDER_MIME;
  return {
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    ...(file.driveId ? { driveId: file.driveId, teamDriveId: file.driveId } : {}),
    ...(Object.keys(file.appProperties).length ? { appProperties: file.appProperties } : {}),
    ...(Object.keys(file.properties).length ? { properties: file.properties } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
    trashed: file.trashed,
    explicitlyTrashed: file.trashed,
    version: String(file.version),
    ...(isFolder ? {} : { size: String(file.size ?? 0), md5Checksum: file.md5Checksum, sha256Checksum: file.sha256Checksum, headRevisionId: `${file.id}-v${file.version}` }),
    ownedByMe: file.owner === principal,
    ...(file.owner ? { owners: [{ kind: 'drive#user', emailAddress: file.owner, me: file.owner === principal }] } : {}),
    webViewLink: isFolder ? `https://drive.google.com/drive/folders/${file.id}` : `https://drive.google.com/file/d/${file.id}/view`,
  };
}

export function driveJson(drive: SharedDrive): Record<string, unknown> {
  return { kind: 'drive#drive', id: drive.id, name: drive.name, createdTime: drive.createdTime, hidden: false };
}

export function sendMasked(res: ServerResponse, status: number, body: unknown, fields: string | null, defaults: string, headers: Record<string, string> = {}): void {
  let mask;
  try {
    mask = parseFieldMask((fields ?? '').trim() || defaults);
  } catch {
    throw new ApiError(400, `Invalid field selection ${fields ?? ''}`, { reason: 'invalidParameter', location: 'fields', locationType: 'parameter' });
  }
  sendJson(res, status, applyFieldMask(body, mask), headers);
}
