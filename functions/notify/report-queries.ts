// Runs a report's queries. They are the pipeline author's own SQL, run read-only with a time limit. A
// query the database rejects is shown as failed in the report (the other queries and the summary are
// still worth sending); a database that is down makes the whole send wait for a retry.
import type { ReportDefinition } from '../../shared/pipeline-definition';
import { isPermanent } from '../../shared/errors';
import type { StageContext } from '../runtime/context';
import { toStageError } from '../runtime/postgres/classify-pg-error';
import { databaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';
import type { QueryResult } from './render-report';

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
  const pool = await ctx.database();
  const bounds = databaseBounds(ctx.stage.timeoutSeconds);
  const results: QueryResult[] = [];
  for (const query of report.queries) {
    const what = `report ${report.name}, query "${query.title}"`;
    try {
      const result = await withTransaction(pool, { bounds, readOnly: true, what }, (client) => client.query<unknown[]>({ text: query.sql, rowMode: 'array' }));
      const columns = uniqueColumns(result.fields.map((f) => f.name));
      const rows = result.rows.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
      results.push({ title: query.title, columns, rows });
    } catch (error) {
      const sorted = toStageError(error, what);
      if (!isPermanent(sorted)) throw sorted;
      ctx.logger.warn('report query failed', { report: report.name, query: query.title, error: (error as Error).message });
      results.push({ title: query.title, columns: [], rows: [], error: (error as Error).message });
    }
  }
  return results;
}
