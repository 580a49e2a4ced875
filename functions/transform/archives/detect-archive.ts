// Whether a raw object is an archive, by its first bytes (never by its name): gzip starts 1F 8B, a zip
// PK 03 04 (or PK 05 06 when it has no entries). A zip may still be a workbook (xlsx, xlsb, ods are
// zips); zip-archive.ts tells that from its entries.
import type { File } from '@google-cloud/storage';

export type ArchiveKind = 'gzip' | 'zip';

export const SIGNATURE_BYTES = 4;

export function archiveKindOf(head: Buffer): ArchiveKind | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06))) return 'zip';
  return null;
}

// The object's first bytes (at the generation `file` names), by one ranged read.
export async function readHead(file: File, size: number, bytes = SIGNATURE_BYTES): Promise<Buffer> {
  if (size <= 0) return Buffer.alloc(0);
  const [head] = await file.download({ start: 0, end: Math.min(size, bytes) - 1, validation: false, decompress: false });
  return head;
}
