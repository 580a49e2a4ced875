import { describe, expect, it } from 'vitest';
import { htmlParser } from '../../../functions/transform/parsers/html';
import { odsParser } from '../../../functions/transform/parsers/ods';
import { xlsParser } from '../../../functions/transform/parsers/xls';
import { xlsbParser } from '../../../functions/transform/parsers/xlsb';
import { encryptedWorkbook, htmlTable, kitchenSinkXlsx, sheetjsBytes, stockCountWorkbook } from '../corpus/workbooks';
import { parseWorkbook } from './parse-workbook';

const NEW_YORK = { timeZone: 'America/New_York' };
const COUNT = [
  ['Stock count — Kitchen'],
  ['sku', 'item', 'qty', 'counted_on', 'counted_at', 'ok', 'ratio'],
  ['S-1', 'Flour 25kg', '4', '2026-03-07', '2026-03-07T22:15:00-05:00', 'true', '0.3'],
  ['S-2', 'Olive oil 5l', '2.5', '2026-03-09', '2026-03-09T09:07:00-04:00', 'false'],
];

describe.each([
  // SheetJS' BIFF8 writer does not write row visibility, its XLSB writer does.
  ['xls (BIFF8)', xlsParser, 'biff8', 0],
  ['xlsb', xlsbParser, 'xlsb', 1],
] as const)('%s', (_, parser, bookType, hiddenRows) => {
  it.each([false, true])('reads the first visible sheet with dates (date1904: %s), booleans and error cells', async (date1904) => {
    const { rows, facts } = await parseWorkbook(parser, sheetjsBytes(stockCountWorkbook({ date1904 }), bookType), NEW_YORK);
    expect(rows).toEqual(COUNT);
    expect(facts).toEqual({ format: parser.format, sheet: 'Count', hiddenSheets: ['Notes'], hiddenRows, mergedRanges: 1, errorCells: 1 });
  });

  it('reads a sheet by name and by position, and refuses a missing one', async () => {
    const bytes = sheetjsBytes(stockCountWorkbook(), bookType);
    expect((await parseWorkbook(parser, bytes, { sheet: 'Notes' })).rows).toEqual([['internal']]);
    expect((await parseWorkbook(parser, bytes, { sheet: 2, ...NEW_YORK })).rows).toEqual(COUNT);
    await expect(parseWorkbook(parser, bytes, { sheet: 'Stock' })).rejects.toMatchObject({
      name: 'MalformedFileError', message: 'the workbook has no sheet named "Stock" (sheets: "Notes" (hidden), "Count")',
    });
  });

  it('refuses a file over limits.maxFileBytes, by its size and by counting', async () => {
    const bytes = sheetjsBytes(stockCountWorkbook(), bookType);
    await expect(parseWorkbook(parser, bytes, { limits: { maxFileBytes: 1024 } })).rejects.toMatchObject({
      name: 'MalformedFileError', message: expect.stringContaining('over limits.maxFileBytes (1024)'),
    });
    const { importRuleSchema } = await import('../../../shared/pipeline-definition');
    const unsized = parser.parse({
      bytes: (async function* () { yield bytes; })(), head: bytes.subarray(0, 64), fileName: 'a',
      rule: importRuleSchema.parse({ name: 't', match: '.*', table: 't', limits: { maxFileBytes: 1024 } }),
    });
    await expect(unsized).rejects.toMatchObject({ message: expect.stringContaining('more than 1024 bytes') });
  });

  it('refuses an encrypted workbook and a corrupt one', async () => {
    await expect(parseWorkbook(parser, encryptedWorkbook())).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('password-protected') });
    const corrupt = Buffer.from(sheetjsBytes(stockCountWorkbook(), bookType));
    corrupt.fill(0x55, 512);
    await expect(parseWorkbook(parser, corrupt)).rejects.toMatchObject({ name: 'MalformedFileError' });
  });
});

describe('xls', () => {
  it('refuses what is not an Excel 97-2003 file', async () => {
    await expect(parseWorkbook(xlsParser, htmlTable())).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('not an Excel 97-2003 (.xls) workbook') });
  });
});

describe('ods', () => {
  it('reads the dates and numbers of a sheet', async () => {
    // SheetJS' ODS writer keeps neither sheet visibility nor error cells: the sheet is named.
    const { rows, facts } = await parseWorkbook(odsParser, sheetjsBytes(stockCountWorkbook(), 'ods'), { sheet: 'Count', ...NEW_YORK });
    expect(rows).toEqual(COUNT);
    expect(facts).toMatchObject({ format: 'ods', sheet: 'Count' });
  });
});

describe('html', () => {
  it('reads the first table, every cell as text', async () => {
    const { rows, facts } = await parseWorkbook(htmlParser, htmlTable());
    expect(rows).toEqual([
      ['item_code', 'description', 'qty', 'unit_price'],
      ['00123', 'Crème fraîche & herbs', '3', '4.50'],
      ['00124', 'Tomatoes 1e3', null, '2026-03-09'],
    ]);
    expect(facts).toMatchObject({ format: 'html', errorCells: 0 });
  });

  it('refuses markup without a table, and bytes that are not markup', async () => {
    await expect(parseWorkbook(htmlParser, Buffer.from('<html><body>no table</body></html>'))).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('<table>') });
    await expect(parseWorkbook(htmlParser, await kitchenSinkXlsx())).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('not an HTML table') });
  });
});
