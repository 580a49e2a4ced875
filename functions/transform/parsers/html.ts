// An HTML table, as many vendor systems export "Excel" files (often named .xls). SheetJS reads the
// first <table>; its cells are text (type inference decides what they hold, as for CSV).
import { sheetjsParser } from './sheetjs-workbook';

const looksLikeMarkup = (head: Buffer) => /^\s*</.test(head.toString('latin1', 0, 512).replace(/^\xEF\xBB\xBF/, ''));

export const htmlParser = sheetjsParser({
  format: 'html',
  label: 'an HTML table',
  accepts: looksLikeMarkup,
  cellsAreText: true,
});
