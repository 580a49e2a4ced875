// The demo's second pipeline: the finance team's vendor inbox. Vendors e-mail statements and
// invoices as spreadsheets or CSV to a Gmail mailbox; every morning Sluice takes the attachments the
// rules match, loads them into PostgreSQL, labels the mail `Processed` (and a mail no rule takes
// `Error`) and mails finance what is still open.
import { definePipeline } from '../shared/pipeline-definition';

export const vendorInbox = definePipeline({
  name: 'vendor-inbox',
  description: "Vendor statements and invoices e-mailed to finance's Gmail inbox.",
  schedule: { cron: '30 7 * * *', timeZone: 'America/New_York' },
  source: {
    kind: 'gmail',
    auth: {
      kind: 'oauth',
      clientId: { secret: 'finance-gmail-client-id' },
      clientSecret: { secret: 'finance-gmail-client-secret' },
      refreshToken: { secret: 'finance-gmail-refresh-token' },
    },
    // First match wins. Regexes are case-insensitive; the attachment name is the decoded one.
    rules: [
      { name: 'statements', from: 'northside-supply\\.example', attachmentName: '\\.xlsx$', imports: ['vendor-statements'] },
      { name: 'invoices', from: 'greenacre-farms\\.example', attachmentName: '^invoice-\\d+\\.csv$', imports: ['vendor-invoices'] },
      // Invoices a colleague forwarded: the file is inside the forwarded message.
      { name: 'forwarded-invoices', subject: '^(fwd?|fw):', attachmentName: '^invoice-\\d+\\.csv$', imports: ['vendor-invoices'] },
    ],
    labelUnmatched: true,
  },
  imports: [
    {
      // A title block above the header (row 4). A statement repeats open invoices month after
      // month: merged by invoice number, the latest statement's status wins.
      name: 'vendor-statements',
      match: '^\\d{8}_.*Statement.*\\.xlsx$',
      table: 'vendor_statements',
      mode: 'merge',
      key: ['invoice_no'],
      rows: { header: { minCells: 5 } },
      types: { invoice_no: 'text' },
    },
    {
      // A vendor re-sends an invoice now and then: merged by invoice and line, never doubled.
      name: 'vendor-invoices',
      match: '^\\d{8}_invoice-\\d+\\.csv$',
      table: 'vendor_invoice_lines',
      mode: 'merge',
      key: ['invoice_no', 'line'],
      types: { invoice_no: 'text', product_code: 'text' },
    },
  ],
  database: { url: { secret: 'finance-database-url' }, schema: 'finance' },
  reports: [
    {
      name: 'open-bills',
      subject: 'Vendor bills',
      to: ['finance@restaurant.example'],
      queries: [
        {
          title: 'Open statement items',
          sql: `select invoice_no, invoice_date::date::text as invoice_date, description, amount
                from finance.vendor_statements where status = 'open' order by invoice_date, invoice_no`,
        },
        {
          title: 'Invoices received',
          sql: `select invoice_no, count(*) as lines, sum(line_total) as total
                from finance.vendor_invoice_lines group by 1 order by 1`,
        },
      ],
    },
  ],
  alerts: { to: ['ops@restaurant.example'] },
  mail: { from: 'sluice@restaurant.example', smtpUrl: { secret: 'smtp-url' } },
  secrets: ['finance-gmail-client-id', 'finance-gmail-client-secret', 'finance-gmail-refresh-token', 'finance-database-url', 'smtp-url'],
});
