// The one declaration of a pipeline. Plain data validated by zod at load time; read alike by the
// stage functions, the local cloud and the Pulumi program, so it imports nothing but zod and croner
// (both pure, no I/O).
import { z } from 'zod';
import { issueLines } from './zod-issues';
import { destinationSchema } from '../functions/notify/destinations/destination-configs';
import { importRuleRefsOf, sourceSchema } from '../functions/fetch/sources/source-configs';
import { cron, identifier, regex, secretRef, secretRefsIn, timeZone } from './config-primitives';

const NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

export type { SecretRef } from './config-primitives';

export const scheduleSchema = z.object({
  cron,
  timeZone,
  // What the scheduler publishes on top of {pipeline, trigger: 'schedule'}.
  payload: z.record(z.string(), z.string()).default({}),
}).strict();

// The source is one of the connectors under functions/fetch/sources/ (a union on `kind`).
export { sourceSchema };
export type { Source, SourceKind } from '../functions/fetch/sources/source-configs';
export type { SftpSource } from '../functions/fetch/sources/sftp/config';
export type { GmailSource, GmailRule } from '../functions/fetch/sources/gmail/config';
export type { DestinationConfig, DestinationKind } from '../functions/notify/destinations/destination-configs';
export type { DriveDestination } from '../functions/notify/destinations/drive/config';
export type { GoogleAuthConfig } from './google-auth-config';

export const columnTypeSchema = z.enum(['text', 'integer', 'bigint', 'numeric', 'boolean', 'date', 'timestamp', 'timestamptz']);
export type ColumnType = z.infer<typeof columnTypeSchema>;

// The file formats transform reads, and the load modes load applies: each list is declared once here,
// and the runtime keeps one implementation per entry (functions/transform/parsers/,
// functions/load/modes/), keyed by these names so a missing one fails the type check.
export const fileFormats = ['csv', 'xlsx', 'xls', 'xlsb', 'ods', 'html'] as const;
export type FileFormat = (typeof fileFormats)[number];
export const loadModes = ['append', 'replace', 'merge'] as const;
export type LoadMode = (typeof loadModes)[number];

const MiB = 1024 * 1024;

export const importRuleSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  // Regular expression tested against the file's base name (for a member of a zip archive: the
  // member's own base name; for a .gz file: its name without .gz).
  match: regex,
  table: identifier('table'),
  // 'auto': by the content's signature, not the extension (a ".xls" that is really HTML or CSV, as
  // some vendors send, is read as what it is, and the run says so).
  format: z.enum(['auto', ...fileFormats]).default('auto'),
  mode: z.enum(loadModes).default('append'),
  // Columns that identify a row, for mode 'merge'.
  key: z.array(identifier('key column')).default([]),
  // Mode 'merge' only: the file is a full snapshot, so rows whose key is not in it are deleted.
  deleteMissing: z.boolean().default(false),
  // 'evolve': new columns are added and narrower column types widened in place; 'strict': a file that
  // needs either is quarantined, naming the column (and both types).
  schema: z.enum(['evolve', 'strict']).default('evolve'),
  csv: z.object({
    delimiter: z.string().min(1).max(1).optional(),
    quote: z.string().min(1).max(1).default('"'),
    encoding: z.string().default('utf-8'),
    // ',': numbers are written 1.234,5 (decimal comma; '.' or a space groups thousands).
    decimal: z.enum(['.', ',']).default('.'),
    // false: the file has no header row and `columns` names them in order.
    header: z.boolean().default(true),
    columns: z.array(identifier('column')).optional(),
  }).strict().default({ quote: '"', encoding: 'utf-8', decimal: '.', header: true }),
  // Workbooks: the sheet to read, by name or by 1-based position; default the first visible sheet.
  sheet: z.union([z.string().min(1), z.number().int().min(1)]).optional(),
  // Where the data is, for every format.
  rows: z.object({
    // The header row: its 1-based row number, or the first row with at least `minCells` non-empty
    // cells (skips a title block above the header). Default: the first non-blank row.
    header: z.union([z.number().int().min(1), z.object({ minCells: z.number().int().min(1) }).strict()]).optional(),
    // Rows dropped at the end (a totals row).
    skipFooter: z.number().int().min(0).max(1000).default(0),
    // The data ends at the first empty row (anything below is notes, not data).
    stopAtEmptyRow: z.boolean().default(false),
  }).strict().default({ skipFooter: 0, stopAtEmptyRow: false }),
  // Source header (as in the file) or normalized name → the column's name in the table.
  rename: z.record(z.string(), identifier('column')).default({}),
  // Declared types win over inferred ones (keys: the column's name in the table).
  types: z.record(z.string(), columnTypeSchema).default({}),
  // Spreadsheet date-time cells carry no zone: they are local times in this zone (default UTC).
  timeZone: timeZone.default('UTC'),
  // Caps for untrusted input. maxFileBytes: a workbook format read whole (xls, xlsb, ods, html).
  // Archives (.gz, .zip): total expanded bytes, and expanded/compressed ratio (a zip bomb).
  limits: z.object({
    maxFileBytes: z.number().int().min(1024).default(50 * MiB),
    maxExpandedBytes: z.number().int().min(1024).default(4096 * MiB),
    maxExpansionRatio: z.number().min(1).default(200),
  }).strict().default({ maxFileBytes: 50 * MiB, maxExpandedBytes: 4096 * MiB, maxExpansionRatio: 200 }),
  // Rows that fail their column's type or a constraint go to the table `<table>__rejects` instead of
  // failing the file, while they are at most this percentage of its rows; above it the whole file is
  // quarantined and nothing of it is loaded. 0: any such row quarantines the file.
  maxRejectPercent: z.number().min(0).max(100).default(0),
}).strict().refine((r) => r.mode !== 'merge' || r.key.length > 0, {
  message: "mode 'merge' needs at least one key column",
  path: ['key'],
}).refine((r) => !r.deleteMissing || r.mode === 'merge', {
  message: "deleteMissing applies to mode 'merge' only",
  path: ['deleteMissing'],
}).refine((r) => r.csv.header || (r.csv.columns?.length ?? 0) > 0, {
  message: 'a file without a header row needs csv.columns',
  path: ['csv', 'columns'],
});
export type ImportRule = z.infer<typeof importRuleSchema>;

export const aggregateSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  table: identifier('table'),
  // The row's event time; hour and date buckets are taken in `timeZone`.
  time: identifier('time column'),
  timeZone,
  by: z.array(identifier('dimension column')).default([]),
  granularities: z.array(z.enum(['hour', 'date'])).min(1).default(['date']),
  sum: z.array(identifier('sum column')).default([]),
}).strict();
export type AggregateDefinition = z.infer<typeof aggregateSchema>;

export const reportSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  subject: z.string().min(1),
  to: z.array(z.string().email()).min(1),
  // Each query's result becomes an HTML table in the body and a CSV attachment. Queries are the
  // pipeline author's own text, never built from input.
  queries: z.array(z.object({ title: z.string().min(1), sql: z.string().min(1) }).strict()).min(1),
  // 'new-data': mailed only for runs that loaded or quarantined something (a re-trigger that finds every
  // file already fetched mails nothing); 'always': every run that completes, saying when nothing was new.
  when: z.enum(['new-data', 'always']).default('new-data'),
  // Caps per query: rows fetched, and bytes of its CSV attachment. A result cut by either says so in
  // the mail. They keep one runaway query from exhausting the function's memory or the mail server's
  // size limit.
  maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
  maxAttachmentBytes: z.number().int().min(1024).max(20 * 1024 * 1024).default(5 * 1024 * 1024),
}).strict();
export type ReportDefinition = z.infer<typeof reportSchema>;

export const pipelineSchema = z.object({
  name: z.string().regex(NAME, 'must be 3–30 lower-case letters, digits or -, starting with a letter'),
  description: z.string().default(''),
  schedule: scheduleSchema.optional(),
  source: sourceSchema,
  imports: z.array(importRuleSchema).min(1),
  database: z.object({
    // A secret holding the PostgreSQL connection URL.
    url: secretRef,
    // Optional: a secret holding the URL of a role that may only read, used by the stages that only
    // read (report queries). Without it they use `url`, still inside read-only transactions.
    readOnlyUrl: secretRef.optional(),
    // The schema the pipeline's tables live in (created if absent).
    schema: identifier('database schema'),
  }).strict(),
  aggregates: z.array(aggregateSchema).default([]),
  reports: z.array(reportSchema).default([]),
  // What else each run delivers, besides its report and alert mails (a Drive folder...): one of the
  // destinations under functions/notify/destinations/ (a union on `kind`), each file delivered once.
  destinations: z.array(destinationSchema).default([]),
  // The sweep that fails runs which stopped making progress (a message lost, a function that never
  // answers) and alerts once. It fires on `cron` (UTC); a run is stalled when nothing moved for longer
  // than the stage it waits on can take (attempts × (timeout + longest backoff)), or
  // `stalledAfterMinutes` when given.
  watchdog: z.object({
    cron: cron.default('*/10 * * * *'),
    stalledAfterMinutes: z.number().int().positive().optional(),
  }).strict().default({ cron: '*/10 * * * *' }),
  // Who hears when a run goes wrong, and when. Every alert is sent on a state change only (once per
  // run and kind), with the dashboard link, the error summary and the CLI command that retries it.
  alerts: z.object({
    to: z.array(z.string().email()).min(1),
    from: z.string().email().optional(),
    // A run still going this long after it started is alerted (once); unset: never.
    longRunningMinutes: z.number().int().positive().optional(),
    // No run started within this many minutes of a schedule fire time: alerted once per fire time
    // (needs `schedule`); unset: never.
    missedScheduleMinutes: z.number().int().positive().optional(),
    // Also POST each alert as Slack-compatible JSON ({"text": ...}) to this URL, read from a secret
    // (an incoming-webhook URL is a credential).
    webhook: z.object({ url: secretRef }).strict().optional(),
  }).strict(),
  mail: z.object({
    from: z.string().email(),
    // A secret holding the SMTP URL (smtp://user:pass@host:port).
    smtpUrl: secretRef,
  }).strict(),
  // Every secret the pipeline reads, by name. Each reference above must be listed here, so the
  // infrastructure can grant access to exactly these.
  secrets: z.array(z.string()).default([]),
}).strict().superRefine((p, ctx) => {
  // Every `{ secret }` anywhere in the definition (sources and destinations included) must be listed.
  const declared = new Set(p.secrets);
  for (const { secret, path } of secretRefsIn(p)) {
    if (!declared.has(secret)) ctx.addIssue({ code: 'custom', path, message: `secret "${secret}" is not listed in secrets` });
  }
  const ruleNames = new Set(p.imports.map((r) => r.name));
  for (const { name, path } of importRuleRefsOf(p.source)) {
    if (!ruleNames.has(name)) ctx.addIssue({ code: 'custom', path: ['source', ...path], message: `no import rule is named "${name}"` });
  }
  const tables = new Set(p.imports.map((r) => r.table));
  p.aggregates.forEach((a, i) => {
    if (!tables.has(a.table)) ctx.addIssue({ code: 'custom', path: ['aggregates', i, 'table'], message: `no import rule loads table "${a.table}"` });
  });
  const names = new Set<string>();
  p.imports.forEach((r, i) => {
    if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['imports', i, 'name'], message: `duplicate import rule name "${r.name}"` });
    names.add(r.name);
  });
});

export type PipelineInput = z.input<typeof pipelineSchema>;
export type Pipeline = z.infer<typeof pipelineSchema>;

export class PipelineDefinitionError extends Error {
  override name = 'PipelineDefinitionError';
}

// Validates at load time and names the pipeline and the field: a bad definition fails start-up.
export function definePipeline(input: PipelineInput): Pipeline {
  const parsed = pipelineSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data) as Pipeline;
  const label = typeof (input as { name?: unknown })?.name === 'string' ? (input as { name: string }).name : '(unnamed)';
  const problems = issueLines(parsed.error);
  throw new PipelineDefinitionError(`pipeline "${label}" is invalid: ${problems.join('; ')}`);
}

// The secrets a pipeline reads, for least-privilege grants.
export function secretsOf(pipeline: Pipeline): string[] {
  return [...new Set(pipeline.secrets)].sort();
}
