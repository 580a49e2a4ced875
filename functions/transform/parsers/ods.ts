// OpenDocument spreadsheet .ods (LibreOffice, Google Sheets exports): a zip, or a flat .fods XML file.
import { ZIP_SIGNATURE, startsWith } from '../excel/source-bytes';
import { sheetjsParser } from './sheetjs-workbook';

export const odsParser = sheetjsParser({
  format: 'ods',
  label: 'an OpenDocument (.ods) spreadsheet',
  accepts: (head) => startsWith(head, ZIP_SIGNATURE) || /^\s*<\?xml/.test(head.toString('latin1', 0, 64).replace(/^\uFEFF|^\xEF\xBB\xBF/, '')),
});
