// Runs a report's queries. They are the pipeline author's own SQL, run read-only with a time limit. A
// query the database rejects is shown as failed in the report (the other queries and the summary are
// still worth sending); a database that is down makes the whole send wait for a retry.
import type { ReportDefinition } from '../../shared/pipeline-definition';
import { PermanentError } from '../../shared/errors';
import { classifyDatabaseError } from '../aggregate/database-errors';
import type { StageContext } from '../runtime/context';
import type { QueryResult } from './render-report';

const STATEMENT_TIMEOUT = '120s';

// Result columns may repeat a name (`select a.id, b.id`); each gets its own key.
function uniqueColumns(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}

export async function runReportQueries(ctx: StageContext, report: ReportDefinition): Promise<QueryResult[]> {
  let client;
  try {
    client = await (await ctx.database()).connect();
  } catch (error) {
    throw classifyDatabaseError(error, `report ${report.name}`);
  }
  let broken = false;
  try {
    const results: QueryResult[] = [];
    for (const query of report.queries) {
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
        const result = await client.query<unknown[]>({ text: query.sql, rowMode: 'array' });
        await client.query('COMMIT');
        const columns = uniqueColumns(result.fields.map((f) => f.name));
        const rows = result.rows.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
        results.push({ title: query.title, columns, rows });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const sorted = classifyDatabaseError(error, `report ${report.name}, query "${query.title}"`);
        if (!(sorted instanceof PermanentError)) {
          broken = true;
          throw sorted;
        }
        ctx.logger.warn('report query failed', { report: report.name, query: query.title, error: (error as Error).message });
        results.push({ title: query.title, columns: [], rows: [], error: (error as Error).message });
      }
    }
    return results;
  } finally {
    client.release(broken ? true : undefined);
  }
}
