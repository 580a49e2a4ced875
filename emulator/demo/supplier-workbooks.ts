// The demo's Excel files, as the restaurant's suppliers send them (the POS export is CSV; these are
// the other files a restaurant's back office receives):
// (a) a weekly price list .xlsx from the produce and meat wholesaler: a merged title block and a
//     "valid from" line above the header, one row per item, then a blank row and a notes line;
//     merged into a table by item_code, so each week's file updates the prices in place;
// (b) a delivery note .xls (BIFF8) from the dairy co-op's old order system: a letterhead, the note
//     number and date, the lines, and a TOTAL row; appended, one note per delivery.
// Seeded, so the same week (or delivery) always gives the same values.
import XLSX from '@e965/xlsx';
import ExcelJS from 'exceljs';
import { seededRandom } from '../seeded-random';

// [item code, description, unit, base price in USD]: what the POS menu (pos-export.ts) is cooked from.
const PRICE_LIST: Array<[string, string, string, number]> = [
  ['BEEF-RIB-12', 'Ribeye steak, choice, 12 oz', 'case 12', 186.0],
  ['BEEF-GRD-80', 'Ground beef 80/20', 'lb', 4.65],
  ['BUN-BRI-04', 'Brioche burger buns', 'dozen', 7.2],
  ['FISH-COD-01', 'Cod loins, skinless', 'lb', 9.85],
  ['TORT-COR-06', 'Corn tortillas 6"', 'pack 80', 6.4],
  ['LETT-ROM-24', 'Romaine hearts', 'case 24', 38.5],
  ['POT-RUS-50', 'Russet potatoes', 'sack 50 lb', 27.0],
  ['ONI-YEL-50', 'Yellow onions', 'sack 50 lb', 24.75],
  ['LEM-FAN-115', 'Lemons, fancy, 115 ct', 'case', 44.0],
  ['TEA-BLK-96', 'Black iced tea bags', 'box 96', 18.9],
  ['COF-ESP-5', 'Espresso beans', 'bag 5 lb', 52.5],
  ['CRM-CHS-3', 'Cream cheese', 'tub 3 lb', 11.6],
  ['CHOC-DRK-5', 'Dark chocolate callets', 'bag 5 lb', 34.8],
  ['OIL-FRY-35', 'Fryer oil, canola', 'jug 35 lb', 41.25],
];

export interface PriceListOptions {
  // The Monday the prices are valid from, YYYY-MM-DD.
  validFrom: string;
  seed?: number;
}

// The rule that reads it (see the report to the lead):
//   { format: 'xlsx', match: '^PriceList_.*\\.xlsx$', table: 'supplier_prices', mode: 'merge',
//     key: ['item_code'], rows: { header: { minCells: 4 }, stopAtEmptyRow: true }, types: { item_code: 'text' } }
export async function supplierPriceListXlsx(options: PriceListOptions): Promise<Buffer> {
  const [y, m, d] = options.validFrom.split('-').map(Number) as [number, number, number];
  const validFrom = new Date(Date.UTC(y, m - 1, d));
  const next = seededRandom((options.seed ?? 7031) + y * 372 + m * 31 + d);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Harbor Foodservice order desk';
  // Pinned, not now: exceljs writes these into docProps/core.xml, whose compressed size would vary with
  // the clock (the same inputs must give the same bytes).
  workbook.created = validFrom;
  workbook.modified = validFrom;
  const sheet = workbook.addWorksheet('Price list');
  sheet.mergeCells('A1:F1');
  sheet.getCell('A1').value = 'Harbor Foodservice — Weekly Price List';
  sheet.getCell('A1').font = { bold: true, size: 14 };
  sheet.getCell('A2').value = 'Prices valid from';
  sheet.getCell('B2').value = validFrom;
  sheet.getCell('B2').numFmt = 'dddd, mmmm d, yyyy';
  const header = sheet.getRow(4);
  header.values = ['Item Code', 'Description', 'Unit', 'Unit Price', 'Currency', 'Valid From'];
  header.font = { bold: true };
  PRICE_LIST.forEach(([code, description, unit, base], i) => {
    // Prices move a few percent from week to week.
    const price = Math.round(base * (0.94 + next() * 0.12) * 100) / 100;
    const row = sheet.getRow(5 + i);
    row.values = [code, description, unit, price, 'USD', validFrom];
    row.getCell(4).numFmt = '#,##0.00';
    row.getCell(6).numFmt = 'mm/dd/yyyy';
  });
  const notes = 5 + PRICE_LIST.length + 1;
  sheet.getCell(`A${notes}`).value = `${PRICE_LIST.length} items. Prices exclude delivery; orders before 2 pm ship next day.`;
  sheet.getColumn(2).width = 34;
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const DAIRY: Array<[string, string, string, number]> = [
  ['MLK-WHL-G', 'WHOLE MILK', 'GAL', 4.1],
  ['CRM-HVY-Q', 'HEAVY CREAM 40%', 'QT', 5.35],
  ['BUT-UNS-1', 'BUTTER UNSALTED', 'LB', 4.8],
  ['CHS-CHD-5', 'CHEDDAR SHARP LOAF', '5LB', 21.9],
  ['EGG-LRG-15', 'EGGS LARGE', '15DZ', 38.0],
  ['YOG-GRK-32', 'GREEK YOGURT PLAIN', '32OZ', 5.6],
];

export interface DeliveryNoteOptions {
  // The delivery date, YYYY-MM-DD, and the note's number in the co-op's system.
  date: string;
  noteNumber: number;
  seed?: number;
}

// The rule that reads it:
//   { format: 'xls', match: '^DN\\d+\\.xls$', table: 'dairy_deliveries', mode: 'append',
//     rows: { header: { minCells: 6 }, skipFooter: 1 }, timeZone: 'America/New_York',
//     types: { product_code: 'text' } }
export function deliveryNoteXls(options: DeliveryNoteOptions): Buffer {
  const [y, m, d] = options.date.split('-').map(Number) as [number, number, number];
  const next = seededRandom((options.seed ?? 5501) + options.noteNumber);
  // Serial dates as the old system writes them (1900 system); deliveries arrive 5:30–7:00 am.
  const day = Date.UTC(y, m - 1, d) / 86_400_000 + 25_569;
  const arrived = day + Math.round((5.5 + next() * 1.5) * 60) / 1440;
  const lines = DAIRY.filter(() => next() < 0.8).map(([code, name, unit, cost], i) => {
    const qty = 2 + Math.floor(next() * 10);
    return [i + 1, code, name, qty, unit, cost, Math.round(qty * cost * 100) / 100, arrived];
  });
  const total = lines.reduce((sum, line) => sum + (line[6] as number), 0);
  const sheet = XLSX.utils.aoa_to_sheet([
    ['NORTHSIDE DAIRY CO-OP'],
    [`DELIVERY NOTE ${String(options.noteNumber).padStart(6, '0')}`],
    ['DATE', day],
    [],
    ['LINE', 'PRODUCT CODE', 'PRODUCT', 'QTY', 'UNIT', 'UNIT COST', 'LINE TOTAL', 'DELIVERED AT'],
    ...lines,
    ['TOTAL', null, null, null, null, null, Math.round(total * 100) / 100],
  ]);
  sheet['B3']!.z = 'mm/dd/yy';
  for (let r = 0; r < lines.length; r++) {
    const row = 6 + r;
    sheet[`F${row}`]!.z = '0.00';
    sheet[`G${row}`]!.z = '0.00';
    sheet[`H${row}`]!.z = 'mm/dd/yy hh:mm';
  }
  sheet['!merges'] = [XLSX.utils.decode_range('A1:H1'), XLSX.utils.decode_range('A2:H2')];
  const workbook = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(workbook, sheet, 'DN');
  return XLSX.write(workbook, { type: 'buffer', bookType: 'biff8' }) as Buffer;
}
