// Replace: the table's content becomes the file's, atomically. DELETE then COPY in the load's one
// transaction: readers (READ COMMITTED or snapshot) see the old rows until COMMIT and the new ones
// after, never an empty table, and are never blocked (DELETE takes ROW EXCLUSIVE, not the ACCESS
// EXCLUSIVE a TRUNCATE or a table swap needs). The table keeps its identity, so views, grants,
// foreign keys, triggers and indexes on it stay as they are; a swap (new table + rename) would leave
// views pointing at the old one. Cost: the old rows stay as dead tuples until vacuum (measured in
// the issue-9 report: about as fast as a swap at 1M rows).
import { qualifiedName, quoteIdentifier } from '../quote-identifier';
import { noCounts, type LoadModeImplementation } from './load-mode';
import { rangeAggregates, rangesFromRow } from './old-value-ranges';

export const replaceMode: LoadModeImplementation = {
  requiresUniqueKey: false,
  ordering: 'table',
  fullSnapshot: () => true,
  async write(target) {
    const { client } = target;
    const table = qualifiedName(target.schema, target.table);
    // The old rows' dates, so their roll-ups are recomputed (a date the new file lacks is emptied).
    const timeColumns = await target.timeColumns();
    const removed = await client.query<Record<string, unknown> & { deleted: string }>(
      `with gone as (delete from ${table} returning ${timeColumns.length > 0 ? timeColumns.map((c) => quoteIdentifier(c.name)).join(', ') : '1'})
       select ${['count(*) as deleted', ...rangeAggregates('gone', timeColumns)].join(', ')} from gone`,
    );
    const row = removed.rows[0];
    const deleted = Number(row?.deleted ?? 0);
    const { rows: written, rejected } = target.rows === 0 ? { rows: 0, rejected: 0 } : await target.copy(table);
    return { counts: { ...noCounts(), written, inserted: written, deleted, rejected }, removedRanges: rangesFromRow(timeColumns, row) };
  },
};
