// Which format a raw file is, by its content's signature rather than its name: vendors send HTML
// tables and CSV text named ".xls", and workbooks named ".csv". `format: 'auto'` takes what the
// content says (and says so when the name disagrees); a declared format the content contradicts is
// a permanent error naming both. Compressed files and archives are told apart here and expanded
// elsewhere (functions/transform/archives/).
import type { FileFormat, ImportRule } from '../../shared/pipeline-definition';
import { MalformedFileError } from './malformed-file-error';

export type ArchiveKind = 'zip' | 'gzip';

export type FormatDetection =
  | { kind: 'format'; format: FileFormat; detected?: string }
  | { kind: 'archive'; archive: ArchiveKind };

// What the first bytes can tell. `guessed`: a zip whose first entry only says "Office Open XML" or
// "OpenDocument" (the central directory at the end of the file would tell an XLSX from an XLSB:
// formatOfZipEntries).
type ContentKind = { kind: 'format'; format: FileFormat; guessed?: boolean } | { kind: 'archive'; archive: ArchiveKind };

// How many bytes detection wants to see (fewer at the end of a short file).
export const DETECT_HEAD_BYTES = 4096;

const WHAT: Record<FileFormat, string> = {
  csv: 'CSV text',
  xlsx: 'an XLSX workbook',
  xls: 'an XLS workbook (OLE2)',
  xlsb: 'an XLSB workbook',
  ods: 'an ODS spreadsheet',
  html: 'an HTML table',
};

const BY_EXTENSION: Record<string, FileFormat> = {
  csv: 'csv', tsv: 'csv', txt: 'csv',
  xlsx: 'xlsx', xlsm: 'xlsx', xls: 'xls', xlsb: 'xlsb', ods: 'ods', html: 'html', htm: 'html',
};

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ODS_MIMETYPE = 'application/vnd.oasis.opendocument.spreadsheet';

function startsWith(head: Buffer, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
}

export function formatOfExtension(fileName: string): FileFormat | null {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? null : BY_EXTENSION[fileName.slice(dot + 1).toLowerCase()] ?? null;
}

// From the names in a zip's central directory: which workbook it is, or null for a plain archive.
export function formatOfZipEntries(names: readonly string[]): 'xlsx' | 'xlsb' | 'ods' | null {
  if (names.includes('xl/workbook.xml')) return 'xlsx';
  if (names.includes('xl/workbook.bin')) return 'xlsb';
  if (names.includes('mimetype') && names.includes('content.xml')) return 'ods';
  return null;
}

// A zip's first local file header: its entry name (and, for an ODF package, the stored mimetype).
function zipContent(head: Buffer, fileName: string): ContentKind {
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) return { kind: 'archive', archive: 'zip' };
  const method = head.readUInt16LE(8);
  const compressedSize = head.readUInt32LE(18);
  const nameLength = head.readUInt16LE(26);
  const extraLength = head.readUInt16LE(28);
  const name = head.subarray(30, 30 + nameLength).toString('utf8');
  if (name === 'xl/workbook.xml') return { kind: 'format', format: 'xlsx' };
  if (name === 'xl/workbook.bin') return { kind: 'format', format: 'xlsb' };
  if (name === 'mimetype' && method === 0) {
    const start = 30 + nameLength + extraLength;
    const mimetype = head.subarray(start, start + compressedSize).toString('latin1').trim();
    return mimetype === ODS_MIMETYPE ? { kind: 'format', format: 'ods' } : { kind: 'archive', archive: 'zip' };
  }
  // An ODF package whose mimetype entry is not first (ODF says it "should" be; SheetJS writes the
  // manifest first): almost always a spreadsheet where a rule takes it; the ODS reader refuses others.
  if (name === 'META-INF/manifest.xml') return { kind: 'format', format: 'ods', guessed: true };
  // The parts every Office Open XML package starts with: a workbook, almost always XLSX.
  if (name === '[Content_Types].xml' || name.startsWith('_rels/') || name.startsWith('docProps/') || name.startsWith('xl/')) {
    return { kind: 'format', format: formatOfExtension(fileName) === 'xlsb' ? 'xlsb' : 'xlsx', guessed: true };
  }
  return { kind: 'archive', archive: 'zip' };
}

const HTML_START = /^(?:<!doctype\s+html|<html[\s>]|<table[\s>])/i;

function looksLikeHtml(head: Buffer): boolean {
  let text: string;
  if (startsWith(head, [0xff, 0xfe])) text = head.subarray(2).toString('utf16le');
  else if (startsWith(head, [0xfe, 0xff])) text = swapped(head.subarray(2)).toString('utf16le');
  else text = head.subarray(startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0).toString('latin1');
  return HTML_START.test(text.trimStart().slice(0, 64));
}

function swapped(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return copy.swap16();
}

export function contentKind(head: Buffer, fileName: string): ContentKind {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return zipContent(head, fileName);
  if (startsWith(head, OLE2)) return { kind: 'format', format: 'xls' };
  if (startsWith(head, [0x1f, 0x8b])) return { kind: 'archive', archive: 'gzip' };
  if (looksLikeHtml(head)) return { kind: 'format', format: 'html' };
  // Anything else is read as text: the CSV reader refuses what is not (detect-not-text.ts).
  return { kind: 'format', format: 'csv' };
}

// `declared`: the rule's format. Throws MalformedFileError when a declared format contradicts the content.
export function detectFormat(head: Buffer, fileName: string, declared: ImportRule['format']): FormatDetection {
  const content = contentKind(head, fileName);
  if (content.kind === 'archive') {
    // Only a zip package that archive expansion left as a document (its central directory names a
    // workbook's parts) gets here: when its first entry cannot tell which, the declaration does.
    if (content.archive === 'zip' && (declared === 'xlsx' || declared === 'xlsb' || declared === 'ods')) return { kind: 'format', format: declared };
    return content;
  }
  const found = content.format;
  if (declared === 'auto') {
    const named = formatOfExtension(fileName);
    if (named === null || named === found) return { kind: 'format', format: found };
    const ext = fileName.slice(fileName.lastIndexOf('.'));
    return { kind: 'format', format: found, detected: `${WHAT[found]} named ${ext}` };
  }
  if (declared === found) return { kind: 'format', format: found };
  // The weakest signals give way to a declaration: an Office Open XML package the first entry cannot
  // tell apart, and "text" (an HTML file need not start with <html>).
  if (content.guessed && (declared === 'xlsx' || declared === 'xlsb' || declared === 'ods')) return { kind: 'format', format: declared };
  if (found === 'csv' && declared === 'html') return { kind: 'format', format: 'html' };
  throw new MalformedFileError(`the rule declares format ${declared}, but the content is ${WHAT[found]}`);
}
