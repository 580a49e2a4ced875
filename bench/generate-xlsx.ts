// The XLSX bench's input: one sheet, a header row and `rows` rows of 10 columns (integers, decimals,
// shared-string text, dates, date-times, booleans, a sparse note), written with exceljs' streaming
// WorkbookWriter so generating it takes little memory. Deterministic for a given row count.
import ExcelJS from 'exceljs';
import fs from 'node:fs';

export const XLSX_COLUMNS = 10;
const REGIONS = ['North', 'South', 'East', 'West', 'Central'];
const ITEMS = ['Espresso beans 1 kg', 'Oat milk 1 l', 'Paper cups 12 oz', 'Lids 12 oz', 'Croissant dough', 'Sugar sticks', 'Napkins', 'Tea assortment'];

export async function generateXlsx(path: string, rows: number): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const sheet = workbook.addWorksheet('Prices');
  sheet.columns = [
    { header: 'Item Code', key: 'code', width: 12 },
    { header: 'Item', key: 'item', width: 24 },
    { header: 'Region', key: 'region', width: 10 },
    { header: 'Pack Size', key: 'pack', width: 10 },
    { header: 'Unit Price', key: 'price', width: 10, style: { numFmt: '0.00' } },
    { header: 'Discount', key: 'discount', width: 10, style: { numFmt: '0.00%' } },
    { header: 'Valid From', key: 'validFrom', width: 12, style: { numFmt: 'yyyy-mm-dd' } },
    { header: 'Updated At', key: 'updatedAt', width: 20, style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } },
    { header: 'In Stock', key: 'inStock', width: 8 },
    { header: 'Note', key: 'note', width: 30 },
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2024, 0, 1);
  for (let i = 1; i <= rows; i++) {
    sheet.addRow({
      code: 100_000 + i,
      item: ITEMS[Math.floor(random() * ITEMS.length)],
      region: REGIONS[i % REGIONS.length],
      pack: 1 + Math.floor(random() * 24),
      price: Math.round((1 + random() * 50) * 100) / 100,
      discount: Math.round(random() * 30) / 100,
      validFrom: new Date(start + Math.floor(random() * 365) * 86_400_000),
      updatedAt: new Date(start + Math.floor(random() * 365 * 86_400) * 1000),
      inStock: random() < 0.9,
      note: random() < 0.8 ? null : `reorder ${i % 97}`,
    }).commit();
  }
  sheet.commit();
  await workbook.commit();
  return fs.statSync(path).size;
}
