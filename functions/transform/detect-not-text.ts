// Files that are not delimited text at all, told apart by their first bytes, so the quarantine reason
// says what the file is ("a gzip-compressed file") instead of pointing at invalid bytes on row 1 or
// loading binary noise as one text column. Exporters do send these under a .csv name: a compressed
// export, a workbook saved as the wrong type, a UTF-16 export without its byte-order mark.
// Corpus cases gzip, zip, xlsx, pdf, utf16-nobom.

const SIGNATURES: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'a legacy Office document (XLS, OLE2)' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
];

const ZIP_SIGNATURES = [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06]];

function startsWith(head: Buffer, bytes: readonly number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

// Encodings whose text legitimately holds NUL bytes (every ASCII character has one).
const WIDE_ENCODING = /^(utf-?16|utf-?32|ucs-?2|ucs-?4)/i;

// Null when the head looks like text in `encoding`; otherwise what the file is instead. Only called
// for files without a byte-order mark (a BOM says the file is text).
export function notTextReason(head: Buffer, encoding: string): string | null {
  if (ZIP_SIGNATURES.some((s) => startsWith(head, s))) {
    // An Office Open XML workbook is a zip whose first entries are [Content_Types].xml or xl/...
    const names = head.subarray(0, 4096).toString('latin1');
    return /\[Content_Types\]\.xml|xl\//.test(names) ? 'the file is an XLSX workbook (a zip archive), not CSV text' : 'the file is a zip archive, not CSV text';
  }
  for (const signature of SIGNATURES) {
    if (startsWith(head, signature.bytes)) return `the file is ${signature.what}, not CSV text`;
  }
  if (WIDE_ENCODING.test(encoding)) return null;
  // A NUL here and there is judged per cell, with its row (transform-file.ts); many of them, in the
  // alternate positions of ASCII text, are UTF-16 without a byte-order mark.
  const sample = head.subarray(0, 4096);
  let nul = 0;
  for (const byte of sample) if (byte === 0) nul++;
  if (sample.length >= 4 && nul * 4 >= sample.length) {
    return `the file holds NUL bytes between its characters: it looks like UTF-16 without a byte-order mark, not ${encoding} (declare csv.encoding 'utf-16le' or 'utf-16be')`;
  }
  return null;
}
