// A .gz file as an archive of one member: the name without .gz, inflated as a stream (concatenated
// gzip members are one stream, as gunzip reads them).
import { createGunzip } from 'node:zlib';
import type { File } from '@google-cloud/storage';
import { baseName } from '../../../shared/object-names';
import type { OpenedArchive } from './opened-archive';

// `Items.csv.gz` → `Items.csv`. A gzip file named otherwise keeps its name (it is matched by it).
export function gzipMemberName(archivePath: string): string {
  const name = baseName(archivePath);
  const stripped = name.replace(/\.(gz|gzip)$/i, '');
  return stripped === '' ? name : stripped;
}

export function openGzipArchive(file: File, size: number, archivePath: string): OpenedArchive {
  let storageError: unknown;
  return {
    kind: 'gzip',
    members: [{
      path: gzipMemberName(archivePath),
      compressedBytes: size,
      async open() {
        const source = file.createReadStream({ validation: false, decompress: false });
        const gunzip = createGunzip();
        source.on('error', (error) => {
          storageError ??= error;
          gunzip.destroy(error);
        });
        gunzip.on('close', () => source.destroy());
        return source.pipe(gunzip);
      },
    }],
    storageError: () => storageError,
    async close() {},
  };
}
