// Runs a report's queries. They are the pipeline author's own SQL, yet run as if they were not:
//  - each in its own READ ONLY transaction with the stage's bounds (statement and lock timeouts);
//  - over the extended query protocol, inside DECLARE … CURSOR: one statement only, and only a
//    query (SELECT, VALUES, TABLE, WITH without data-modifying parts), so `commit; drop table x` or
//    `set statement_timeout = 0` is refused instead of ending the read-only transaction or lifting
//    the time limit (the simple protocol would run every statement of the text);
//  - at most `maxRows` rows fetched (one more is asked for, to know the result was cut).
// A query the database rejects is shown as failed in the report (the other queries and the summary
// are still worth sending); a database that is down makes the whole send wait for a retry.
import type { QueryConfig } from 'pg';
import type { ReportDefinition } from '../../shared/pipeline-definition';
import { isPermanent } from '../../shared/errors';
import type { StageContext } from '../runtime/context';
import { toStageError } from '../runtime/postgres/classify-pg-error';
import { databaseBounds, type DatabaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';
import type { QueryResult } from './render-report';

const CURSOR = 'sluice_report';
// SQLSTATE of a statement cancelled by statement_timeout.
const QUERY_CANCELED = '57014';

// Result columns may repeat a name (`select a.id, b.id`); each gets its own key.
function uniqueColumns(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}

// node-postgres sends a query with `queryMode: 'extended'` as Parse/Bind/Execute (its types lack the field).
function extended(text: string): QueryConfig {
  return { text, queryMode: 'extended' } as QueryConfig;
}

export async function runReportQueries(ctx: StageContext, report: ReportDefinition, bounds: DatabaseBounds = databaseBounds(ctx.stage.timeoutSeconds)): Promise<QueryResult[]> {
  const pool = await ctx.database();
  const results: QueryResult[] = [];
  for (const query of report.queries) {
    const what = `report ${report.name}, query "${query.title}"`;
    try {
      const result = await withTransaction(pool, { bounds, readOnly: true, what }, async (client) => {
        await client.query(extended(`declare ${CURSOR} no scroll cursor for ${query.sql}`));
        return client.query<unknown[]>({ text: `fetch forward ${report.maxRows + 1} from ${CURSOR}`, rowMode: 'array' });
      });
      const columns = uniqueColumns(result.fields.map((f) => f.name));
      const fetched = result.rows.slice(0, report.maxRows);
      const rows = fetched.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
      results.push({ title: query.title, columns, rows, ...(result.rows.length > report.maxRows ? { cut: { by: 'rows' as const, limit: report.maxRows } } : {}) });
    } catch (error) {
      // A query past the time limit would time out again on every retry: it fails in the report.
      const timedOut = (error as { code?: unknown }).code === QUERY_CANCELED;
      const sorted = toStageError(error, what);
      if (!isPermanent(sorted) && !timedOut) throw sorted;
      ctx.logger.warn('report query failed', { report: report.name, query: query.title, error: (error as Error).message });
      results.push({ title: query.title, columns: [], rows: [], error: (error as Error).message });
    }
  }
  return results;
}
