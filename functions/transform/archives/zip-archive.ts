// A .zip file as an archive: its central directory is read and judged whole before any member is
// inflated (names, encryption, compression method, claimed sizes, count), so a refused archive
// expands nothing. A zip that is a workbook (xlsx, xlsb, ods) is not an archive: it goes to the parsers.
import type { File } from '@google-cloud/storage';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { archiveMemberPathProblem, printableName } from '../../../shared/object-names';
import { MalformedFileError } from '../malformed-file-error';
import { overRatio, type ArchiveLimits } from './archive-limits';
import type { ArchiveMember, OpenedArchive } from './opened-archive';
import { StorageRandomAccessReader } from './storage-random-access-reader';

// Entries that make a zip a document, not an archive: a workbook (xlsx/xlsm: xl/workbook.xml; xlsb:
// xl/workbook.bin; OpenDocument: mimetype), or any Office Open XML package ([Content_Types].xml: a
// .docx is no archive of data files either), which the parsers then read or refuse for what it is.
const WORKBOOK_ENTRIES = new Set(['xl/workbook.xml', 'xl/workbook.bin', 'mimetype', '[Content_Types].xml']);
// Entries (directories included) a central directory may list before the archive is refused unread.
const MAX_ENTRIES = 10_000;
const STORED = 0;
const DEFLATED = 8;

interface ListedEntry { entry: Entry; name: string }

export async function openZipArchive(file: File, size: number, limits: ArchiveLimits): Promise<OpenedArchive | 'workbook'> {
  const reader = new StorageRandomAccessReader(file, size);
  // Errors while reading the directory: a storage failure is thrown as it is (retried); anything
  // else means the bytes are not a readable zip.
  const unreadable = (error: unknown): unknown => reader.storageError ?? new MalformedFileError(`it is not a readable zip archive: ${(error as Error).message}`);
  let zip: ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw unreadable(error);
  }
  try {
    if (zip.entryCount > MAX_ENTRIES) throw new MalformedFileError(`it lists ${zip.entryCount} entries, over the ${MAX_ENTRIES} an archive may hold`);
    let listed: ListedEntry[];
    try {
      listed = await listEntries(zip);
    } catch (error) {
      throw unreadable(error);
    }
    if (listed.some((e) => WORKBOOK_ENTRIES.has(e.name))) {
      zip.close();
      return 'workbook';
    }
    const members = judgeEntries(listed, size, limits).map((entry): ArchiveMember => ({
      path: entry.name,
      compressedBytes: entry.entry.compressedSize,
      declaredBytes: entry.entry.uncompressedSize,
      open: () => zip.openReadStreamPromise(entry.entry),
    }));
    return {
      kind: 'zip',
      members,
      storageError: () => reader.storageError,
      async close() { zip.close(); },
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

function listEntries(zip: ZipFile): Promise<ListedEntry[]> {
  return new Promise((resolve, reject) => {
    const listed: ListedEntry[] = [];
    zip.on('entry', (entry: Entry) => {
      // decodeStrings is off so yauzl does not refuse a name with its own generic message: the name is
      // decoded here as yauzl would (UTF-8 flag, Info-ZIP Unicode path field, else CP437) and judged
      // below. Strict: a backslash is kept (and refused), not turned into a '/'.
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      listed.push({ entry, name });
      zip.readEntry();
    });
    zip.once('end', () => resolve(listed));
    zip.once('error', reject);
    zip.readEntry();
  });
}

// The file members, or the first reason the archive is refused (naming the member).
function judgeEntries(listed: ListedEntry[], archiveBytes: number, limits: ArchiveLimits): ListedEntry[] {
  const files: ListedEntry[] = [];
  const seen = new Set<string>();
  let claimed = 0;
  for (const item of listed) {
    const { entry, name } = item;
    const member = `member "${printableName(name)}"`;
    const isDirectory = name.endsWith('/');
    const problem = archiveMemberPathProblem(isDirectory ? name.replace(/\/+$/, '') || '/' : name);
    if (problem) throw new MalformedFileError(`${member} has an unsafe name: ${problem}`);
    if (isDirectory) continue;
    if (entry.isEncrypted()) throw new MalformedFileError(`${member} is encrypted; encrypted archives are not read`);
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw new MalformedFileError(`${member} uses compression method ${entry.compressionMethod}; only stored and deflated members are read`);
    }
    if (seen.has(name)) throw new MalformedFileError(`${member} appears twice in the archive`);
    seen.add(name);
    claimed += entry.uncompressedSize;
    if (claimed > limits.maxExpandedBytes) {
      throw new MalformedFileError(`${member} takes the archive over ${limits.maxExpandedBytes} expanded bytes (limits.maxExpandedBytes), as its directory declares`);
    }
    if (overRatio(entry.uncompressedSize, entry.compressedSize, limits)) {
      throw new MalformedFileError(`${member} declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed, over ${limits.maxExpansionRatio} times (limits.maxExpansionRatio): a zip bomb`);
    }
    files.push(item);
  }
  if (overRatio(claimed, archiveBytes, limits)) {
    throw new MalformedFileError(`its members declare ${claimed} bytes from an archive of ${archiveBytes}, over ${limits.maxExpansionRatio} times (limits.maxExpansionRatio): a zip bomb`);
  }
  if (files.length === 0) throw new MalformedFileError('the archive holds no files');
  if (files.length > limits.maxMembers) throw new MalformedFileError(`the archive holds ${files.length} files, over the ${limits.maxMembers} one archive may expand into`);
  return files;
}
