// Generates a restaurant's nightly point-of-sale export, as a vendor drops it on its SFTP server:
// one folder per business day holding OrderDetails.csv, ItemSelectionDetails.csv and
// PaymentDetails.csv. Seeded, so the same seed and dates always give the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../seeded-random';

export interface PosExportOptions {
  // The SFTP server's root directory.
  root: string;
  // Business days, YYYY-MM-DD.
  dates: string[];
  exportId?: string;
  ordersPerDay?: number;
  seed?: number;
}

export interface PosExportSummary {
  files: string[];
  rows: { orders: number; order_items: number; payments: number };
}

const MENU: Array<[string, string, number]> = [
  ['Burger', 'Food', 14.5], ['Caesar Salad', 'Food', 11], ['Fish Tacos', 'Food', 15.25], ['Ribeye', 'Food', 32],
  ['Fries', 'Sides', 5.5], ['Onion Rings', 'Sides', 6], ['Side Salad', 'Sides', 4.75],
  ['Lemonade', 'Drinks', 3.5], ['Iced Tea', 'Drinks', 3.25], ['Espresso', 'Drinks', 3],
  ['IPA Draft', 'Alcohol', 7.5], ['House Red', 'Alcohol', 9], ['Margarita', 'Alcohol', 11],
  ['Cheesecake', 'Dessert', 8], ['Brownie Sundae', 'Dessert', 8.5],
];
const SERVERS = ['Avery', 'Blake', 'Casey', 'Devon', 'Emery', 'Finley'];
const METHODS = ['Credit', 'Credit', 'Credit', 'Debit', 'Cash', 'Gift Card'];

const money = (n: number) => n.toFixed(2);
const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (date: string, minutes: number) => `${date} ${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00`;
const csvLine = (values: Array<string | number>) =>
  values.map((v) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v))).join(',') + '\r\n';

export function exportDirectory(root: string, exportId: string, date: string): string {
  return path.join(root, 'exports', exportId, date.replace(/-/g, ''));
}

export function generatePosExport(options: PosExportOptions): PosExportSummary {
  const exportId = options.exportId ?? '4471';
  const perDay = options.ordersPerDay ?? 400;
  const next = seededRandom(options.seed ?? 20261122);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const summary: PosExportSummary = { files: [], rows: { orders: 0, order_items: 0, payments: 0 } };

  for (const date of options.dates) {
    const dir = exportDirectory(options.root, exportId, date);
    fs.mkdirSync(dir, { recursive: true });
    let orders = csvLine(['Order Id', 'Opened At', 'Closed At', 'Server', 'Table', 'Guests', 'Subtotal', 'Tax', 'Tip', 'Total']);
    let items = csvLine(['Order Id', 'Item Id', 'Menu Item', 'Category', 'Quantity', 'Unit Price', 'Line Total', 'Ordered At']);
    let payments = csvLine(['Payment Id', 'Order Id', 'Paid At', 'Method', 'Amount', 'Tip']);
    const day = date.replace(/-/g, '');
    for (let o = 1; o <= perDay; o++) {
      const orderId = `${day}-${String(o).padStart(5, '0')}`;
      // Service from 11:00 to 22:30, busier at lunch and dinner.
      const peak = next() < 0.45 ? 12 * 60 + next() * 120 : 18 * 60 + next() * 150;
      const opened = Math.floor(next() < 0.8 ? peak : 11 * 60 + next() * 690);
      let subtotal = 0;
      const itemCount = 1 + Math.floor(next() * 5);
      for (let i = 1; i <= itemCount; i++) {
        const [name, category, price] = pick(MENU);
        const quantity = 1 + Math.floor(next() * 3);
        const line = price * quantity;
        subtotal += line;
        items += csvLine([orderId, `${orderId}-${i}`, name, category, quantity, money(price), money(line), stamp(date, Math.min(opened + i * 4, 23 * 60 + 59))]);
        summary.rows.order_items++;
      }
      const tax = subtotal * 0.08875;
      const tip = subtotal * (0.15 + next() * 0.1);
      const closed = Math.min(opened + 30 + Math.floor(next() * 60), 23 * 60 + 59);
      orders += csvLine([orderId, stamp(date, opened), stamp(date, closed), pick(SERVERS), 1 + Math.floor(next() * 30), 1 + Math.floor(next() * 6), money(subtotal), money(tax), money(tip), money(subtotal + tax + tip)]);
      summary.rows.orders++;
      // A few tables split the bill.
      const splits = next() < 0.15 ? 2 : 1;
      for (let p = 1; p <= splits; p++) {
        const share = (subtotal + tax) / splits;
        payments += csvLine([`${orderId}-P${p}`, orderId, stamp(date, closed), pick(METHODS), money(share), money(tip / splits)]);
        summary.rows.payments++;
      }
    }
    for (const [name, body] of [['OrderDetails.csv', orders], ['ItemSelectionDetails.csv', items], ['PaymentDetails.csv', payments]] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, body);
      summary.files.push(file);
    }
  }
  return summary;
}

// The business days a run of the demo pipeline looks at: `lookbackDays` days ending at today plus
// `dateOffsetDays`, in the given time zone.
export function recentBusinessDays(timeZone: string, dateOffsetDays: number, lookbackDays: number, now = new Date()): string[] {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const base = Date.parse(`${today}T00:00:00Z`);
  const days: string[] = [];
  for (let i = lookbackDays - 1; i >= 0; i--) {
    days.push(new Date(base + (dateOffsetDays - i) * 86_400_000).toISOString().slice(0, 10));
  }
  return days;
}
