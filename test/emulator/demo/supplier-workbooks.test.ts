import { describe, expect, it } from 'vitest';
import { xlsParser } from '../../../functions/transform/parsers/xls';
import { xlsxParser } from '../../../functions/transform/parsers/xlsx';
import { deliveryNoteXls, supplierPriceListXlsx } from '../../../emulator/demo/supplier-workbooks';
import { parseWorkbook } from '../../transform/parsers/parse-workbook';

describe('demo supplier workbooks', () => {
  it('the weekly price list: title block, date line, header at row 4, items, blank row, notes', async () => {
    const bytes = await supplierPriceListXlsx({ validFrom: '2026-03-09' });
    expect(await supplierPriceListXlsx({ validFrom: '2026-03-09' })).toHaveLength(bytes.length);
    const { rows, facts } = await parseWorkbook(xlsxParser, bytes, { timeZone: 'America/New_York' });
    expect(rows.slice(0, 4)).toEqual([
      ['Harbor Foodservice — Weekly Price List'],
      ['Prices valid from', '2026-03-09'],
      [],
      ['Item Code', 'Description', 'Unit', 'Unit Price', 'Currency', 'Valid From'],
    ]);
    expect(rows[4]).toEqual(['BEEF-RIB-12', 'Ribeye steak, choice, 12 oz', 'case 12', expect.stringMatching(/^\d+(\.\d{1,2})?$/), 'USD', '2026-03-09']);
    expect(rows).toHaveLength(4 + 14 + 2);
    expect(rows[18]).toEqual([]);
    expect(rows[19]?.[0]).toMatch(/^14 items\./);
    expect(facts).toMatchObject({ sheet: 'Price list', mergedRanges: 1, errorCells: 0 });
    // Another week, other prices.
    const later = await parseWorkbook(xlsxParser, await supplierPriceListXlsx({ validFrom: '2026-03-16' }));
    expect(later.rows.slice(4, 18).map((r) => r[3])).not.toEqual(rows.slice(4, 18).map((r) => r[3]));
  });

  it('the dairy delivery note: letterhead, header at row 5, lines with local date-times, a TOTAL row', async () => {
    const { rows, facts } = await parseWorkbook(xlsParser, deliveryNoteXls({ date: '2026-03-09', noteNumber: 4471 }), { timeZone: 'America/New_York' });
    expect(rows.slice(0, 5)).toEqual([
      ['NORTHSIDE DAIRY CO-OP'],
      ['DELIVERY NOTE 004471'],
      ['DATE', '2026-03-09'],
      [],
      ['LINE', 'PRODUCT CODE', 'PRODUCT', 'QTY', 'UNIT', 'UNIT COST', 'LINE TOTAL', 'DELIVERED AT'],
    ]);
    const lines = rows.slice(5, -1);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line[7]).toMatch(/^2026-03-09T0[5-7]:\d\d:00-04:00$/);
    expect(rows.at(-1)?.[0]).toBe('TOTAL');
    expect(facts).toMatchObject({ format: 'xls', sheet: 'DN', mergedRanges: 2 });
  });
});
