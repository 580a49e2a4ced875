// The header cells of a file → the staged columns: normalized names, the rule's renames, and the
// declared types. Shared by every format.
import type { ColumnType, ImportRule } from '../../shared/pipeline-definition';
import type { StagedColumn } from '../../shared/staged-sidecar';
import { MalformedFileError } from './malformed-file-error';
import { HeaderCollisionError, normalizeHeader } from './normalize-header';

// PostgreSQL's limit on the columns of a table (MaxHeapAttributeNumber). A wider file could only fail
// at load, as SQLSTATE 54011; refused here it is quarantined at once, with the reason in its terms
// (corpus case cols-2000).
export const MAX_COLUMNS = 1600;

export interface StagedColumns {
  columns: StagedColumn[];
  // Declared types by staged column name (rule.types names the table's column, or the source header).
  declared: Record<string, ColumnType>;
  // Rename keys that matched no header: worth telling, not failing (one rule takes many files).
  unusedRenames: string[];
}

// `sourceNames`: the header cells, trimmed. `rule.rename` maps a source header (as in the file) or a
// normalized name to the column's name in the table.
export function stagedColumnsOf(sourceNames: readonly string[], rule: ImportRule): StagedColumns {
  if (sourceNames.length > MAX_COLUMNS) {
    throw new MalformedFileError(`the header has ${sourceNames.length} columns; a PostgreSQL table holds at most ${MAX_COLUMNS}`);
  }
  let normalized: string[];
  try {
    normalized = normalizeHeader(sourceNames);
  } catch (error) {
    if (error instanceof HeaderCollisionError) throw new MalformedFileError(error.message);
    throw error;
  }
  const used = new Set<string>();
  const names = normalized.map((name, i) => {
    const source = sourceNames[i] ?? '';
    const renamed = Object.hasOwn(rule.rename, source) ? rule.rename[source] : Object.hasOwn(rule.rename, name) ? rule.rename[name] : undefined;
    if (renamed !== undefined) used.add(Object.hasOwn(rule.rename, source) ? source : name);
    return renamed ?? name;
  });
  const firstAt = new Map<string, number>();
  names.forEach((name, i) => {
    const earlier = firstAt.get(name);
    if (earlier !== undefined) {
      throw new MalformedFileError(`columns ${JSON.stringify(sourceNames[earlier])} and ${JSON.stringify(sourceNames[i])} would both be named "${name}" (rule.rename): rename one of them`);
    }
    firstAt.set(name, i);
  });
  const declared: Record<string, ColumnType> = {};
  names.forEach((name, i) => {
    const type = rule.types[name] ?? rule.types[sourceNames[i] ?? ''];
    if (type) declared[name] = type;
  });
  return {
    columns: names.map((name, i) => ({ name, sourceName: sourceNames[i] ?? name, type: 'text' })),
    declared,
    unusedRenames: Object.keys(rule.rename).filter((key) => !used.has(key)),
  };
}
