// The back office's supplier files for one business day, written beside the POS export on the SFTP
// server: the wholesaler's price list for the week that day falls in (named by its Monday) and the
// dairy co-op's delivery note of that morning. Seeded by the date, so a day always gives the same files.
import fs from 'node:fs';
import path from 'node:path';
import { exportDirectory } from './pos-export';
import { deliveryNoteXls, supplierPriceListXlsx } from './supplier-workbooks';

export interface BackOfficeFiles {
  files: string[];
}

function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const back = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}

export async function writeBackOfficeFiles(options: { root: string; exportId: string; date: string }): Promise<BackOfficeFiles> {
  const dir = exportDirectory(options.root, options.exportId, options.date);
  fs.mkdirSync(dir, { recursive: true });
  const monday = mondayOf(options.date);
  const priceList = path.join(dir, `PriceList_${monday.replace(/-/g, '')}.xlsx`);
  fs.writeFileSync(priceList, await supplierPriceListXlsx({ validFrom: monday }));
  const noteNumber = 40_000 + Number(options.date.replace(/-/g, '').slice(2)) % 10_000;
  const note = path.join(dir, `DN${noteNumber}.xls`);
  fs.writeFileSync(note, deliveryNoteXls({ date: options.date, noteNumber }));
  return { files: [priceList, note] };
}
