// Legacy Excel 97-2003 .xls (BIFF8 in an OLE2 compound file; also BIFF2-5 streams of older systems).
import { CFB_SIGNATURE, startsWith } from '../excel/source-bytes';
import { sheetjsParser } from './sheetjs-workbook';

// A bare BIFF stream (pre-OLE2 Excel 2.x-4.x) begins with a BOF record: 09 00, 09 02, 09 04 or 09 08.
const isBiffBof = (head: Buffer) => head.length >= 2 && head[0] === 0x09 && [0x00, 0x02, 0x04, 0x08].includes(head[1]!);

export const xlsParser = sheetjsParser({
  format: 'xls',
  label: 'an Excel 97-2003 (.xls) workbook',
  accepts: (head) => startsWith(head, CFB_SIGNATURE) || isBiffBof(head),
});
