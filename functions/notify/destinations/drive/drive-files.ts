// Which of a run's files a Drive destination owes, and where each one's bytes are now. Pure.
//  'loaded'   files that ended loaded (an archive's members included: each is a file of the run);
//  'fetched'  every file fetch staged for this run, whatever became of it — loaded, quarantined,
//             superseded, skipped by load as a copy, and an expanded archive as the archive itself (its
//             members were never fetched: they carry no fetch stage). A file that failed, or is still
//             pending in a run that failed, is not delivered: its raw object may already be gone, and
//             the run's alert names it.
// By then the raw object has moved: to archive/ (loaded, superseded, skipped, expanded) or to
// quarantine/ (quarantined). Notify reads both areas (stage.ts).
import { baseName, objectName } from '../../../../shared/object-names';
import type { FileRecord, RunRecord } from '../../../runtime/run-record';
import type { DriveDestination } from './config';

export interface DriveFile {
  fileKey: string;
  // The file's path in the run (`20261130/pos.csv`) and the name it gets in Drive.
  path: string;
  name: string;
  // The object holding its bytes.
  object: string;
  // From fetch's record, when it hashed the file while staging it.
  sha256?: string;
  size?: number;
  // The export date the subfolder is named from (`yyyyMMdd`).
  exportDate: string;
}

const ARCHIVED: ReadonlySet<string> = new Set(['loaded', 'superseded', 'skipped', 'expanded']);

export function driveFilesOf(config: Pick<DriveDestination, 'on' | 'match'>, run: Pick<RunRecord, 'pipeline' | 'runId' | 'dates' | 'createdAt'>, files: FileRecord[]): DriveFile[] {
  const match = config.match !== undefined ? new RegExp(config.match) : undefined;
  const chosen = files.filter((f) => (config.on === 'loaded' ? f.status === 'loaded' : Boolean(f.stages?.fetch?.endedAt) && (f.status === 'quarantined' || ARCHIVED.has(f.status))));
  return chosen
    .filter((f) => f.name && (!match || match.test(baseName(f.name))))
    .map((f) => {
      const location = { pipeline: run.pipeline, runId: run.runId, path: f.name };
      const details = f.stages?.fetch?.details as { sha256?: unknown; size?: unknown } | undefined;
      return {
        fileKey: f.fileKey,
        path: f.name,
        name: baseName(f.name),
        object: f.status === 'quarantined' ? (f.quarantinedAs ?? objectName('quarantine', location)) : objectName('archive', location),
        ...(typeof details?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(details.sha256) ? { sha256: details.sha256 } : {}),
        ...(typeof details?.size === 'number' ? { size: details.size } : {}),
        exportDate: exportDateOf(f.name, run),
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

// `20261130/pos.csv` → 20261130; a path without a date folder takes the run's first date.
function exportDateOf(path: string, run: Pick<RunRecord, 'dates' | 'createdAt'>): string {
  const first = path.slice(0, path.indexOf('/'));
  if (/^\d{8}$/.test(first)) return first;
  const date = [...(run.dates ?? [])].sort()[0] ?? run.createdAt.slice(0, 10);
  return date.replace(/-/g, '');
}

// The subfolder path for an export date: `{yyyy}/{MM}` → ['2026', '11']; '' → [] (the folder itself).
export function subfolderPath(template: string, exportDate: string): string[] {
  const yyyy = exportDate.slice(0, 4);
  const MM = exportDate.slice(4, 6);
  const dd = exportDate.slice(6, 8);
  const expanded = template
    .replaceAll('{yyyyMMdd}', exportDate)
    .replaceAll('{yyyy-MM-dd}', `${yyyy}-${MM}-${dd}`)
    .replaceAll('{yyyy}', yyyy)
    .replaceAll('{MM}', MM)
    .replaceAll('{dd}', dd);
  return expanded.split('/').map((s) => s.trim()).filter((s) => s !== '');
}
