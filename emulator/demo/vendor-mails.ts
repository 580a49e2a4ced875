// The demo's second chore: vendors e-mail their paperwork to the finance team's Gmail inbox. For one
// business day: the office-supply vendor's monthly statement (.xlsx, sent as application/octet-stream
// with an RFC 2231 encoded name, as Apple Mail does), the produce farm's invoice (.csv, in Apple
// Mail's multipart/alternative layout), that farm's earlier invoice forwarded by the chef (the CSV
// inside a message/rfc822), and a newsletter with a PDF no rule takes. Seeded by the date: a day always gives
// the same mails and numbers.
import ExcelJS from 'exceljs';
import { buildEml, type EmlOptions } from '../google-apis/fixtures/build-eml';
import { seededRandom } from '../seeded-random';

export const FINANCE_INBOX = 'finance@restaurant.example';

export interface VendorMail {
  // What it is, for the demo's output.
  describe: string;
  eml: Buffer;
}

const SUPPLIES: Array<[string, number]> = [['Paper towels, case', 38.4], ['Nitrile gloves, box 100', 9.9], ['Degreaser, 1 gal', 21.5], ['Receipt rolls, 50', 44.0]];
const PRODUCE: Array<[string, string, number]> = [['LETT-ROM', 'Romaine hearts', 1.6], ['TOM-ROMA', 'Roma tomatoes, lb', 1.35], ['ONI-RED', 'Red onions, lb', 0.95], ['CIL-BUN', 'Cilantro, bunch', 0.8], ['AVO-HAS', 'Hass avocados', 1.45]];

function at(date: string, hour: number, minute: number): Date {
  // Business mail arrives in the morning, New York time (UTC-5 in winter is close enough for a demo).
  return new Date(`${date}T${String(hour + 5).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`);
}

async function statementXlsx(date: string, next: () => number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Northside Office & Janitorial';
  const sheet = workbook.addWorksheet('Statement');
  sheet.getCell('A1').value = 'Northside Office & Janitorial — Statement of account';
  sheet.getCell('A1').font = { bold: true, size: 13 };
  sheet.getCell('A2').value = `Customer: Harbor Street Kitchen · statement date ${date}`;
  const header = sheet.getRow(4);
  header.values = ['Invoice No', 'Invoice Date', 'Description', 'Amount', 'Status'];
  header.font = { bold: true };
  const day = new Date(`${date}T00:00:00Z`);
  SUPPLIES.forEach(([description, base], i) => {
    const invoiceDate = new Date(day.getTime() - (SUPPLIES.length - i) * 6 * 86_400_000);
    const amount = Math.round(base * (2 + Math.floor(next() * 5)) * 100) / 100;
    const row = sheet.getRow(5 + i);
    row.values = [`NS-${invoiceDate.toISOString().slice(2, 10).replace(/-/g, '')}-${i + 1}`, invoiceDate, description, amount, i < 2 ? 'paid' : 'open'];
    row.getCell(2).numFmt = 'mm/dd/yyyy';
    row.getCell(4).numFmt = '#,##0.00';
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function invoiceCsv(invoiceNo: number, next: () => number): string {
  const lines = ['invoice_no,line,product_code,description,quantity,unit_price,line_total'];
  PRODUCE.forEach(([code, description, price], i) => {
    const quantity = 10 + Math.floor(next() * 40);
    lines.push([invoiceNo, i + 1, code, `"${description}"`, quantity, price.toFixed(2), (quantity * price).toFixed(2)].join(','));
  });
  return lines.join('\r\n') + '\r\n';
}

export async function vendorMails(date: string): Promise<VendorMail[]> {
  const next = seededRandom(Number(date.replace(/-/g, '')));
  const invoiceNo = 8800 + (Number(date.slice(8, 10)) % 50);
  const statement: EmlOptions = {
    from: 'Northside Billing <billing@northside-supply.example>',
    to: FINANCE_INBOX,
    subject: `Statement of account ${date.slice(0, 7)}`,
    date: at(date, 6, 12),
    text: 'Please find your statement attached.',
    attachments: [{ filename: `Northside Statement ${date.slice(0, 7)}.xlsx`, content: await statementXlsx(date, next), encodedName: 'rfc2231' }],
  };
  const invoice: EmlOptions = {
    from: 'Green Acre Farms <orders@greenacre-farms.example>',
    to: FINANCE_INBOX,
    subject: `Invoice ${invoiceNo}`,
    date: at(date, 6, 40),
    text: `Invoice ${invoiceNo} for this morning's delivery.`,
    html: `<p>Invoice <b>${invoiceNo}</b> for this morning's delivery.</p>`,
    layout: 'mixed-in-alternative',
    attachments: [{ filename: `invoice-${invoiceNo}.csv`, contentType: 'text/csv', content: invoiceCsv(invoiceNo, next) }],
  };
  const forwarded: EmlOptions = {
    from: 'Chef Rosa <chef@restaurant.example>',
    to: FINANCE_INBOX,
    subject: `Fwd: Invoice ${invoiceNo - 3}`,
    date: at(date, 7, 5),
    text: 'This one got stuck in my inbox, sorry!',
    forwarded: {
      from: 'Green Acre Farms <orders@greenacre-farms.example>',
      to: 'chef@restaurant.example',
      subject: `Invoice ${invoiceNo - 3}`,
      date: at(date, 6, 1),
      text: `Invoice ${invoiceNo - 3}.`,
      attachments: [{ filename: `invoice-${invoiceNo - 3}.csv`, contentType: 'text/csv', content: invoiceCsv(invoiceNo - 3, next) }],
    },
  };
  const newsletter: EmlOptions = {
    from: 'Food Trends Weekly <news@foodtrends.example>',
    to: FINANCE_INBOX,
    subject: 'Winter menu ideas that sell',
    date: at(date, 5, 30),
    text: 'Ten soups your guests will order twice.',
    attachments: [{ filename: 'winter-menu-ideas.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n% a newsletter\n%%EOF\n') }],
  };
  return [
    { describe: `statement ${date.slice(0, 7)} from Northside (.xlsx)`, eml: await buildEml(statement) },
    { describe: `invoice ${invoiceNo} from Green Acre Farms (.csv)`, eml: await buildEml(invoice) },
    { describe: `invoice ${invoiceNo - 3} forwarded by the chef (.csv inside the forward)`, eml: await buildEml(forwarded) },
    { describe: 'a newsletter no rule takes (labelled Error)', eml: await buildEml(newsletter) },
  ];
}
