import { describe, expect, it } from 'vitest';
import { xlsxParser } from '../../../functions/transform/parsers/xlsx';
import { encryptedWorkbook, kitchenSinkXlsx, xlsxBomb, sheetjsBytes, stockCountWorkbook, unicodeXlsx, wideXlsx } from '../corpus/workbooks';
import { parseWorkbook } from './parse-workbook';

const NEW_YORK = { timeZone: 'America/New_York' };

// The sheet "Prices" of kitchenSinkXlsx, read in New York: the same whatever the date system and
// whether strings are shared or inline.
const PRICES = [
  ['Weekly price list'],
  ['Valid from', '2026-03-09'],
  ['item', 'price', 'in_stock', 'delivered_at', 'note', 'check'],
  ['Fries', '5.5', 'true', '2026-03-07T09:00:00-05:00', 'Hot sauce', '11'],
  ['Lemonade', '0.3', 'false', '2026-03-09T09:07:00-04:00', 'Crème brûlée €', 'ab'],
  ['Ribeye', '12345678901234600', 'true', '2026-03-09T23:59:59-04:00'],
  ['Espresso', '-0.000001', null, null, null, '09:07:00'],
  [],
  ['Total', '12345678901234600'],
];
const PRICE_FACTS = { format: 'xlsx', sheet: 'Prices', hiddenSheets: ['Lookup'], hiddenRows: 1, mergedRanges: 1, formulaCells: 5, errorCells: 2 };

describe('xlsxParser', () => {
  it.each([
    ['1900 system, shared strings', {}],
    ['1904 system', { date1904: true }],
    ['inline strings (streaming writer)', { sharedStrings: false }],
  ])('reads the default (first visible) sheet: %s', async (_, options) => {
    const { rows, facts } = await parseWorkbook(xlsxParser, await kitchenSinkXlsx(options), NEW_YORK);
    expect(rows).toEqual(PRICES);
    expect(facts).toEqual(PRICE_FACTS);
  });

  it('stages date-times with the offset of the rule zone, Z in UTC', async () => {
    const { rows } = await parseWorkbook(xlsxParser, await kitchenSinkXlsx(), { timeZone: 'UTC' });
    expect(rows.slice(3, 6).map((r) => r[3])).toEqual(['2026-03-07T09:00:00Z', '2026-03-09T09:07:00Z', '2026-03-09T23:59:59Z']);
  });

  it('reads a sheet by name and by position, hidden or not', async () => {
    const bytes = await kitchenSinkXlsx();
    expect((await parseWorkbook(xlsxParser, bytes, { sheet: 'Lookup' })).rows).toEqual([['code', 'name'], ['X1', 'hidden data']]);
    const second = await parseWorkbook(xlsxParser, bytes, { sheet: 2, ...NEW_YORK });
    expect(second.rows).toEqual(PRICES);
    expect(second.facts.sheet).toBe('Prices');
  });

  it('refuses a sheet that does not exist, listing the sheets', async () => {
    const bytes = await kitchenSinkXlsx();
    await expect(parseWorkbook(xlsxParser, bytes, { sheet: 'Nope' })).rejects.toMatchObject({
      name: 'MalformedFileError', message: 'the workbook has no sheet named "Nope" (sheets: "Lookup" (hidden), "Prices")',
    });
    await expect(parseWorkbook(xlsxParser, bytes, { sheet: 3 })).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('no sheet 3') });
  });

  it('keeps multi-byte characters that fall across chunk boundaries', async () => {
    const { rows } = await parseWorkbook(xlsxParser, await unicodeXlsx(3000), {}, 1000);
    expect(rows).toHaveLength(3001);
    rows.slice(1).forEach((row, i) => expect(row).toEqual([`Crème brûlée ${i} — 日本語 €`]));
  });

  it('numbers rows of a large sheet in batches', async () => {
    const { rows, batches } = await parseWorkbook(xlsxParser, await wideXlsx(2500, 4));
    expect(batches.length).toBeGreaterThan(1);
    expect(rows).toHaveLength(2501);
    expect(rows[0]).toEqual(['col_1', 'col_2', 'col_3', 'col_4']);
    expect(rows[2500]).toEqual(['item-500-0', '25001', '126.5', 'item-500-3']);
  });

  it('refuses what is not an xlsx, saying what it is', async () => {
    await expect(parseWorkbook(xlsxParser, encryptedWorkbook())).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('password-protected') });
    await expect(parseWorkbook(xlsxParser, sheetjsBytes(stockCountWorkbook(), 'biff8'))).rejects.toMatchObject({ message: expect.stringContaining('legacy Excel 97-2003 (.xls)') });
    await expect(parseWorkbook(xlsxParser, Buffer.from('item,price\nFries,5.5\n'))).rejects.toMatchObject({ message: expect.stringContaining('not a zip') });
    const truncated = (await kitchenSinkXlsx()).subarray(0, 3000);
    await expect(parseWorkbook(xlsxParser, truncated)).rejects.toMatchObject({ name: 'MalformedFileError' });
  });

  it('refuses a zip bomb by the expansion limits', async () => {
    const bomb = await xlsxBomb();
    expect(bomb.length).toBeLessThan(200_000);
    await expect(parseWorkbook(xlsxParser, bomb)).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('limits.maxExpansionRatio (200×) at xl/worksheets/sheet2.xml') });
    await expect(parseWorkbook(xlsxParser, await kitchenSinkXlsx(), { limits: { maxExpandedBytes: 2048 } })).rejects.toMatchObject({ name: 'MalformedFileError', message: expect.stringContaining('limits.maxExpandedBytes (2048 bytes)') });
  });

  it('removes its spooled worksheet however the parse ends', async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const previous = process.env.TMPDIR;
    const dir = mkdtempSync(join(tmpdir(), 'xlsx-spool-test-'));
    process.env.TMPDIR = dir;
    try {
      // exceljs writes the worksheets before sharedStrings.xml: the chosen sheet is spooled.
      const bytes = await kitchenSinkXlsx();
      expect((await parseWorkbook(xlsxParser, bytes)).rows).toHaveLength(9);
      // Cut inside the zip after the worksheet parts: the spool exists when the zip turns out corrupt.
      await expect(parseWorkbook(xlsxParser, bytes.subarray(0, bytes.length - 200))).rejects.toMatchObject({ name: 'MalformedFileError' });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes a failure of the source through as it is', async () => {
    const bytes = await kitchenSinkXlsx();
    const { importRuleSchema } = await import('../../../shared/pipeline-definition');
    const failure = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const parsed = await xlsxParser.parse({
      bytes: (async function* () {
        yield bytes.subarray(0, 2000);
        throw failure;
      })(),
      head: bytes.subarray(0, 64),
      rule: importRuleSchema.parse({ name: 'test', match: '.*', table: 't' }),
      fileName: 'a.xlsx',
    });
    await expect((async () => { for await (const _ of parsed.batches); })()).rejects.toBe(failure);
  });
});
