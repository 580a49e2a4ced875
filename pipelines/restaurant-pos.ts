// The demo: a restaurant's nightly point-of-sale export. Every night the POS vendor drops three CSV
// files per business day on its SFTP server; Sluice copies them, loads them into PostgreSQL, keeps
// hourly and daily sales roll-ups in Firestore and mails the managers a report. The back office's
// supplier files land in the same folder: the wholesaler's weekly price list (.xlsx, merged by item
// code) and the dairy co-op's delivery notes (legacy .xls from its old order system, appended).
import { definePipeline } from '../shared/pipeline-definition';

export const restaurantPos = definePipeline({
  name: 'restaurant-pos',
  description: 'Nightly POS export (orders, order items, payments) from the vendor SFTP server.',
  schedule: { cron: '0 6 * * *', timeZone: 'America/New_York' },
  source: {
    kind: 'sftp',
    host: 'sftp.pos-vendor.example',
    port: 22,
    username: 'sluice',
    password: { secret: 'pos-sftp-password' },
    // The vendor's published host key. The local cloud points the demo at its own SFTP server and pins
    // that server's key instead (see README, "Local overrides").
    hostKeyFingerprint: 'SHA256:Xw5n0pFQzq0rX1m3m3l0lJm8pQk5bXo2c9f6Yc3Vb1E',
    path: '/exports/{exportId}/{yyyyMMdd}/',
    params: { exportId: '4471' },
    glob: '*.{csv,xlsx,xls}',
    dateOffsetDays: -1,
    lookbackDays: 3,
  },
  imports: [
    {
      name: 'orders',
      match: '^OrderDetails\\.csv$',
      table: 'orders',
      mode: 'merge',
      key: ['order_id'],
      schema: 'evolve',
      types: { order_id: 'text' },
    },
    {
      name: 'order-items',
      match: '^ItemSelectionDetails\\.csv$',
      table: 'order_items',
      mode: 'append',
      schema: 'evolve',
      types: { order_id: 'text', item_id: 'text' },
    },
    {
      name: 'payments',
      match: '^PaymentDetails\\.csv$',
      table: 'payments',
      mode: 'append',
      schema: 'strict',
      types: { order_id: 'text', payment_id: 'text' },
    },
    {
      // A title block and a "valid from" line above the header (row 4), a notes line below the data.
      name: 'supplier-prices',
      match: '^PriceList_\\d{8}\\.xlsx$',
      table: 'supplier_prices',
      mode: 'merge',
      key: ['item_code'],
      rows: { header: { minCells: 4 }, stopAtEmptyRow: true },
      types: { item_code: 'text' },
    },
    {
      // A letterhead above the header (row 5), a TOTAL row below the lines; times are local.
      name: 'dairy-deliveries',
      match: '^DN\\d+\\.xls$',
      table: 'dairy_deliveries',
      mode: 'append',
      rows: { header: { minCells: 6 }, skipFooter: 1 },
      timeZone: 'America/New_York',
      types: { product_code: 'text' },
    },
  ],
  database: { url: { secret: 'pos-database-url' }, schema: 'pos' },
  aggregates: [
    {
      name: 'sales-by-category',
      table: 'order_items',
      time: 'ordered_at',
      timeZone: 'America/New_York',
      by: ['category'],
      granularities: ['hour', 'date'],
      sum: ['quantity', 'line_total'],
    },
    {
      name: 'payments-by-method',
      table: 'payments',
      time: 'paid_at',
      timeZone: 'America/New_York',
      by: ['method'],
      granularities: ['date'],
      sum: ['amount', 'tip'],
    },
  ],
  reports: [
    {
      name: 'daily-sales',
      subject: 'Daily sales',
      to: ['managers@restaurant.example'],
      queries: [
        {
          title: 'Sales by day and category',
          sql: `select (ordered_at::date)::text as day, category, sum(quantity) as items, sum(line_total) as revenue
                from pos.order_items group by 1, 2 order by 1, 2`,
        },
        {
          title: 'Payments by method',
          sql: `select method, count(*) as payments, sum(amount) as amount, sum(tip) as tips
                from pos.payments group by 1 order by 1`,
        },
      ],
    },
  ],
  // Every night's POS export is also copied to the back office's Drive folder, one subfolder per
  // business day; a file already there (same content) is never uploaded twice.
  destinations: [
    {
      kind: 'drive',
      folderId: 'posExportsFolder01',
      subfolder: '{yyyy-MM-dd}',
      on: 'fetched',
      match: '\\.csv$',
      auth: {
        kind: 'oauth',
        clientId: { secret: 'pos-drive-client-id' },
        clientSecret: { secret: 'pos-drive-client-secret' },
        refreshToken: { secret: 'pos-drive-refresh-token' },
      },
    },
  ],
  alerts: { to: ['ops@restaurant.example'] },
  mail: { from: 'sluice@restaurant.example', smtpUrl: { secret: 'smtp-url' } },
  secrets: ['pos-sftp-password', 'pos-database-url', 'smtp-url', 'pos-drive-client-id', 'pos-drive-client-secret', 'pos-drive-refresh-token'],
});
