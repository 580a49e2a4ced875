// COPY that sets aside rows failing their column's type (rule.maxRejectPercent > 0), PostgreSQL 17+:
//  1. COPY … (ON_ERROR ignore, LOG_VERBOSITY verbose[, REJECT_LIMIT n on 18+]) loads the good rows and
//     raises a NOTICE per skipped row (line, column), captured on the client. When the target has NOT
//     NULL or CHECK constraints on the file's columns, which ON_ERROR does not cover, the COPY goes to
//     a constraint-free temporary table and the rows breaking one are set aside too
//     (constraint-screening.ts);
//  2. more rejected rows than maxRejectPercent of the file's rows allow: the file is refused
//     (FileDataError → quarantined), and the load's transaction rolls back, so nothing of it stays;
//  3. otherwise, only when some were rejected: the staged CSV is read a second time for those rows' raw
//     values, PostgreSQL's reason for a type failure is asked of pg_input_error_info, and they go to
//     `<table>__rejects` in the same transaction.
// Unique and foreign-key violations are not set aside: they still fail the whole file.
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { PermanentError } from '../../../shared/errors';
import type { CopyResult } from '../copy-into-table';
import { copyStream } from '../copy-stream';
import { FileDataError } from '../file-data-error';
import { screeningFor, type ConstraintViolation } from './constraint-screening';
import { insertRejects, type RejectOrigin, type RejectedRow } from './rejects-table';
import { parseSkippedRow, type SkippedRow } from './skipped-row-notices';
import { scanRecords, type RecordCursor } from './staged-records';

export interface RejectPolicy {
  // > 0: the largest share of the file's rows that may be rejected, in percent.
  maxRejectPercent: number;
  // The staged file's data rows (the sidecar's count).
  fileRows: number;
  // The rule's table (not the COPY target, which may be a temporary table): `<table>__rejects` is
  // made beside it.
  schema: string;
  table: string;
  origin: RejectOrigin;
}

const ON_ERROR_VERSION = 170000;
const REJECT_LIMIT_VERSION = 180000;

export async function copyWithRejects(client: PoolClient, target: string, columns: readonly string[], openStaged: () => Readable, policy: RejectPolicy): Promise<CopyResult> {
  const version = await serverVersion(client);
  if (version.num < ON_ERROR_VERSION) {
    throw new PermanentError(`import rule maxRejectPercent ${policy.maxRejectPercent} needs PostgreSQL 17 or later (COPY ON_ERROR); the database is PostgreSQL ${version.text}. Set maxRejectPercent to 0 or upgrade the server`);
  }
  const allowed = Math.floor((policy.fileRows * policy.maxRejectPercent) / 100);
  const screening = await screeningFor(client, target, columns, policy.table);
  // The notices must reach the client whatever the role's or database's setting.
  await client.query(`select set_config('client_min_messages', 'notice', true)`);
  const skipped: SkippedRow[] = [];
  let count = 0;
  const onNotice = (notice: { message?: string }) => {
    const row = parseSkippedRow(notice.message ?? '', columns);
    if (!row) return;
    count++;
    // Memory stays bounded on a file that is all garbage: past the limit only the count matters.
    if (skipped.length <= allowed) skipped.push(row);
  };
  // On 18+ the server stops at the first row past the limit instead of reading the whole file.
  const limit = version.num >= REJECT_LIMIT_VERSION && allowed > 0 ? `, REJECT_LIMIT ${allowed}` : '';
  let rows = 0;
  let stoppedAtLimit = false;
  client.on('notice', onNotice);
  try {
    rows = await copyStream(client, screening?.table ?? target, columns, openStaged(), `, ON_ERROR ignore, LOG_VERBOSITY verbose${limit}`);
  } catch (error) {
    if (!isRejectLimit(error)) throw error;
    stoppedAtLimit = true;
  } finally {
    client.off('notice', onNotice);
  }

  const violations = screening && count <= allowed ? await screening.violations(allowed - count + 1) : [];
  const total = count + violations.length;
  if (total > allowed) {
    const [first] = await locate(openStaged(), columns, skipped.slice(0, 1), violations.slice(0, 1), 1);
    // Exact only when COPY read the whole file and the type failures alone are too many.
    const share = stoppedAtLimit || count <= allowed ? `more than ${allowed}` : String(count);
    throw new FileDataError(
      `${share} of the file's ${policy.fileRows} rows fail their column's type or a constraint, more than maxRejectPercent ${policy.maxRejectPercent} allows (${allowed} rows); nothing of the file was loaded${first ? `; the first is row ${first.row}, column ${first.column}` : ''}`,
      first?.row, first?.column,
    );
  }
  if (screening) rows = await screening.moveInto(target);
  if (total === 0) return { rows, rejected: 0 };

  const rejected = await locate(openStaged(), columns, skipped, violations, Infinity);
  await explainTypeFailures(client, screening?.table ?? target, rejected);
  await insertRejects(client, policy.schema, policy.table, rejected, policy.origin);
  return { rows, rejected: total };
}

// The rejected rows with their data row numbers and raw values, from a second read of the staged file:
// a type failure by COPY's line, a constraint violation by its position among the rows COPY accepted
// (every record without a skipped line). Type failures get their reason later (explainTypeFailures).
async function locate(source: Readable, columns: readonly string[], skipped: readonly SkippedRow[], violations: readonly ConstraintViolation[], wanted: number): Promise<RejectedRow[]> {
  const byLine = new Map(skipped.map((s) => [s.line, s]));
  const byAccepted = new Map(violations.map((v) => [v.accepted, v]));
  const expected = Math.min(wanted, skipped.length + violations.length);
  const found: RejectedRow[] = [];
  let accepted = 0;
  await scanRecords(source, (record) => {
    let skip: SkippedRow | undefined;
    for (let l = record.firstLine; l <= record.lastLine && !skip; l++) skip = byLine.get(l);
    if (skip) found.push({ row: record.row, column: skip.column, reason: '', sqlState: null, values: byColumn(columns, record) });
    else {
      const violation = byAccepted.get(++accepted);
      if (violation) found.push({ row: record.row, column: violation.column, reason: violation.reason, sqlState: violation.sqlState, values: byColumn(columns, record) });
    }
    return found.length >= expected;
  });
  if (found.length < expected) throw new Error(`a second read of the staged file found ${found.length} of the ${expected} rows COPY rejected`);
  return found;
}

function byColumn(columns: readonly string[], record: RecordCursor): Record<string, string | null> {
  const values = record.values();
  return Object.fromEntries(columns.map((c, i) => [c, values[i] ?? null]));
}

// PostgreSQL's own message for each value that failed its type ("invalid input syntax for type
// integer: "lots""), from the type of the COPY target's column, a batch per query.
async function explainTypeFailures(client: PoolClient, target: string, rejected: RejectedRow[]): Promise<void> {
  const pending = rejected.filter((r) => r.reason === '');
  if (pending.length === 0) return;
  const types = await client.query<{ name: string; type: string }>(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped`,
    [target],
  );
  const typeOf = new Map(types.rows.map((r) => [r.name, r.type]));
  const BATCH = 1000;
  for (let i = 0; i < pending.length; i += BATCH) {
    const batch = pending.slice(i, i + BATCH);
    const result = await client.query<{ message: string | null; code: string | null }>(
      `select e.message, e.sql_error_code as code from unnest($1::text[], $2::text[]) with ordinality as x(v, t, i)
       left join lateral pg_input_error_info(x.v, x.t) e on true order by x.i`,
      [batch.map((r) => r.values[r.column] ?? null), batch.map((r) => typeOf.get(r.column) ?? 'text')],
    );
    batch.forEach((r, j) => {
      const info = result.rows[j];
      r.reason = info?.message ?? (r.values[r.column] === null ? `null input for column ${r.column}` : `value not accepted by type ${typeOf.get(r.column) ?? 'unknown'}`);
      r.sqlState = info?.code ?? null;
    });
  }
}

// PostgreSQL 18: "skipped more than REJECT_LIMIT (n) rows due to data type incompatibility" (22P02).
function isRejectLimit(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '22P02' && typeof message === 'string' && message.includes('REJECT_LIMIT');
}

async function serverVersion(client: PoolClient): Promise<{ num: number; text: string }> {
  const result = await client.query<{ num: string; text: string }>(`select current_setting('server_version_num') as num, current_setting('server_version') as text`);
  const row = result.rows[0];
  return { num: Number(row?.num ?? 0), text: row?.text ?? 'unknown' };
}
