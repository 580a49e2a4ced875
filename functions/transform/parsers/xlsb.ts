// Excel binary workbook .xlsb (a zip of BIFF12 parts). A password-protected one is an OLE2 file,
// which SheetJS reports as encrypted.
import { CFB_SIGNATURE, ZIP_SIGNATURE, startsWith } from '../excel/source-bytes';
import { sheetjsParser } from './sheetjs-workbook';

export const xlsbParser = sheetjsParser({
  format: 'xlsb',
  label: 'an Excel binary (.xlsb) workbook',
  accepts: (head) => startsWith(head, ZIP_SIGNATURE) || startsWith(head, CFB_SIGNATURE),
});
