// The benchmark's input: an 8-column CSV of plausible POS rows (ints, decimals, text, timestamps),
// written streaming so generating 10M rows takes no memory. Deterministic for a given row count.
// `updatedEvery: n`: the same file as a later snapshot, where every n-th row (Sale ID divisible by n)
// has its Quantity raised by 100 and every other row is byte for byte the same (the merge bench).
import fs from 'node:fs';
import { once } from 'node:events';

const STORES = ['Downtown', 'Harbor', 'Airport "T2"', 'Uptown, North', 'Mall'];
const ITEMS = ['Espresso', 'Latte', 'Bagel', 'Croissant', 'Soup of the day', 'Club sandwich', 'Tea', 'Muffin'];

export const BENCH_HEADER = 'Sale ID,Store,Item,Quantity,Unit Price,Discount,Sold At,Note';

function quote(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export async function generateCsv(path: string, rows: number, options: { updatedEvery?: number } = {}): Promise<number> {
  const out = fs.createWriteStream(path);
  out.write(BENCH_HEADER + '\n');
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2024, 0, 1);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    const soldAt = new Date(start + Math.floor(random() * 365 * 86_400_000)).toISOString().slice(0, 19).replace('T', ' ');
    const note = random() < 0.8 ? '' : quote(`customer asked for "extra" ${i % 97}`);
    const item = ITEMS[Math.floor(random() * ITEMS.length)];
    const quantity = 1 + Math.floor(random() * 5) + (options.updatedEvery && i % options.updatedEvery === 0 ? 100 : 0);
    chunk += `${i},${quote(STORES[i % STORES.length]!)},${item},${quantity},${(1 + random() * 20).toFixed(2)},${(random() * 2).toFixed(2)},${soldAt},${note}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return fs.statSync(path).size;
}
