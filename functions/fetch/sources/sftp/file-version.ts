// Which version of an SFTP file an item is, as the fetch ledger keys it. By metadata, a version is
// its size and mtime; by content, its bytes' hash (a file touched without a change is the same
// version). These are the forms ledgers kept before source connectors existed, so they must not change.
import { itemIdentity } from '../../fetch-ledger';

export interface SftpFileVersion {
  pipeline: string;
  // Full remote path on the SFTP server: the item's key.
  path: string;
  size: number;
  mtimeMs: number;
  // Hex SHA-256 of the content, with content change detection: then it, not the mtime, names the version.
  sha256?: string;
}

export function sftpVersionOf(file: Pick<SftpFileVersion, 'size' | 'mtimeMs' | 'sha256'>): string {
  return file.sha256 !== undefined ? `sha256:${file.sha256}` : `${file.size}|${file.mtimeMs}`;
}

// The ledger identity of one SFTP file version.
export function fileIdentity(file: SftpFileVersion): string {
  return itemIdentity({ pipeline: file.pipeline, key: file.path, version: sftpVersionOf(file) });
}
