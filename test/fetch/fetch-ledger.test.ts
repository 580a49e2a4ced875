// The fetch ledger's document ids must not move: an entry written before source connectors existed
// (SFTP only, identity from pipeline, remote path, size and mtime or content hash) must be found
// again by the same file version today, or every file on the server would be fetched once more.
import { describe, expect, it } from 'vitest';
import { itemIdentity } from '../../functions/fetch/fetch-ledger';
import { fileIdentity, sftpVersionOf } from '../../functions/fetch/sources/sftp/file-version';

const FILE = { pipeline: 'restaurant-pos', path: '/exports/pos/20260301/OrderDetails.csv', size: 1234, mtimeMs: 1772341200000 };
const SHA = 'ab'.repeat(32);

describe('fetch ledger identity', () => {
  // Computed with the ledger as it was at c8fc174 (fileIdentity over SourceFileVersion).
  it('is the identity SFTP ledgers have always had, by metadata and by content', () => {
    expect(fileIdentity(FILE)).toBe('ba48abb90a7f5d0d2aca00e5d65c10d28c66d1ce3fb2ab1c1f9dd8fff5618dc5');
    expect(fileIdentity({ ...FILE, sha256: SHA })).toBe('3789461e06c2fc1a75ea6b399c8356215e01b9da737b78993280b80e1e58d483');
  });

  it('is sha256(pipeline | key | version), the SFTP item naming its key by the remote path', () => {
    expect(sftpVersionOf(FILE)).toBe('1234|1772341200000');
    expect(sftpVersionOf({ ...FILE, sha256: SHA })).toBe(`sha256:${SHA}`);
    expect(itemIdentity({ pipeline: FILE.pipeline, key: FILE.path, version: '1234|1772341200000' })).toBe(fileIdentity(FILE));
    expect(itemIdentity({ pipeline: 'p', key: 'msg-1/att-1', version: '1' })).not.toBe(itemIdentity({ pipeline: 'p', key: 'msg-1/att-2', version: '1' }));
  });
});
