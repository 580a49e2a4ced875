// What an OLE2 compound file (D0 CF 11 E0 …) holds, read with SheetJS' CFB reader: Excel saves a
// password-protected .xlsx/.xlsb as an OLE2 file with EncryptionInfo and EncryptedPackage streams,
// and a legacy .xls is an OLE2 file with a Workbook (BIFF8) or Book (BIFF5) stream.
import XLSX from '@e965/xlsx';

export type Ole2Content = 'encrypted-package' | 'biff-workbook' | 'other' | 'corrupt';

export function ole2Content(bytes: Buffer): Ole2Content {
  let names: string[];
  try {
    names = XLSX.CFB.read(bytes, { type: 'buffer' }).FileIndex.map((entry: { name: string }) => entry.name);
  } catch {
    return 'corrupt';
  }
  if (names.includes('EncryptedPackage') || names.includes('EncryptionInfo')) return 'encrypted-package';
  if (names.includes('Workbook') || names.includes('Book')) return 'biff-workbook';
  return 'other';
}

export const ENCRYPTED_MESSAGE = 'the workbook is password-protected (encrypted): it cannot be read; ask the sender for an unprotected export';
