// Which of a parent run's files a rerun redoes: 'all' of them, or 'failed' — those that did not end
// well (failed, quarantined, or cancelled before they got through). An archive stands for its
// members: rerunning it expands it again, so a selected member selects its archive, and the members
// themselves are not selected (the new expansion brings them back). Files the parent skipped (an
// earlier run fetched them) have nothing of theirs in the parent to redo.
import type { FileRecord } from '../../runtime/run-record';

const NOT_THROUGH: ReadonlySet<string> = new Set(['failed', 'quarantined', 'cancelled']);
const NOTHING_TO_REDO: ReadonlySet<string> = new Set(['skipped']);

export function selectRerunFiles(files: FileRecord[], which: 'all' | 'failed'): FileRecord[] {
  const archiveOf = new Map<string, FileRecord>();
  for (const file of files) for (const member of file.members ?? []) archiveOf.set(member, file);
  const chosen = new Map<string, FileRecord>();
  for (const file of files) {
    if (NOTHING_TO_REDO.has(file.status)) continue;
    if (which === 'failed' && !NOT_THROUGH.has(file.status)) continue;
    const selected = archiveOf.get(file.name) ?? file;
    chosen.set(selected.fileKey, selected);
  }
  return [...chosen.values()];
}
