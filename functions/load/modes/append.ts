// Append: every file adds its rows. A new version of the same source still replaces its own earlier
// rows (by lineage, in load-file.ts); no ordering guard between different files.
import { qualifiedName } from '../quote-identifier';
import { noCounts, type LoadModeImplementation } from './load-mode';

export const appendMode: LoadModeImplementation = {
  requiresUniqueKey: false,
  ordering: 'none',
  fullSnapshot: () => false,
  async write(target) {
    if (target.rows === 0) return { counts: noCounts(), removedRanges: {} };
    const { rows: written, rejected } = await target.copy(qualifiedName(target.schema, target.table));
    return { counts: { ...noCounts(), written, inserted: written, rejected }, removedRanges: {} };
  },
};
