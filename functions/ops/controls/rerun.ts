// Rerun a run: a new run (trigger 'retry', parentRunId, the rerun spec) redoes the parent's selected
// files (rerun-selection.ts) from a stage; the parent is unchanged but for the 'rerun' action appended
// to it. Exactly-once still holds: the load ledger (PostgreSQL) keys on the source file's version, so
// a file the parent loaded is never loaded twice, whatever the rerun redoes.
//  - fetch: the parent's fetch-ledger claims of the selected files pass to the new run on purpose
//    (fetch-ledger.ts releaseClaimForRerun: releasedBy/releasedAt/releasedFrom on each entry; the new
//    run's own 'rerun' action, written by queueRun, says who and how), then its trigger goes to fetch for the parent's
//    date: fetch copies those items again from the source. Everything else in the window is decided
//    by the ledgers as for any run: items another run fetched stay skipped, a version the source
//    changed since (a fixed file) is new and fetched.
//  - transform: the parent's raw objects of the selected files (in raw/, or moved on to archive/ or
//    quarantine/) are copied into the new run's raw area; the bucket notification starts transform on
//    each, as after a fetch. No source is touched.
//  - load: the parent's files whose load failed (the database was down, load gave up) are loaded again
//    from the staged objects their transform wrote: transform records the staged message it published
//    on the file, and the run's end keeps those objects for such files (functions/runtime/
//    staged-for-rerun.ts; the staged area's lifecycle rule removes them after sluice:stagedRetentionDays,
//    7 days by default). The new run gets one file record per file and the same staged message, its
//    own run id, goes to load; nothing is fetched or transformed. A selected file with no staged data
//    left (loaded, quarantined, or its objects expired) refuses the whole rerun, naming it: rerun from
//    transform, which stages the raw files again. A file the parent did load is refused the same way
//    ('all' with loaded files included); the load ledger would skip it anyway.
import { errorMessage } from '../../../shared/errors';
import type { ObjectRef, StagedMessage } from '../../../shared/messages';
import { fileKeyOf, objectName, parseObjectName, printableName } from '../../../shared/object-names';
import type { Pipeline } from '../../../shared/pipeline-definition';
import { isNotFound } from '../../../shared/storage-errors';
import { claimsOfRun, releaseClaimForRerun } from '../../fetch/fetch-ledger';
import { copyOnce } from '../../runtime/copy-once';
import { isTerminal, type FileRecord, type RerunSpec, type RunRecord } from '../../runtime/run-record';
import { keepsStagedForRerun, recordedStagedMessage } from '../../runtime/staged-for-rerun';
import type { Caller, QueuedRunView, RerunRequest } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError } from '../ops-service';
import { pipelineOf } from './pipeline-of';
import { announceRunComplete, publishToStage } from './publish-to-stage';
import { operatorRunId } from './run-ids';
import { selectRerunFiles } from './rerun-selection';

// How many file names a recorded action lists (the rest are counted).
const NAMES_IN_ACTION = 20;

function namesOf(files: FileRecord[]): string {
  const names = files.slice(0, NAMES_IN_ACTION).map((f) => printableName(f.name));
  return files.length > NAMES_IN_ACTION ? `${names.join(', ')} and ${files.length - NAMES_IN_ACTION} more` : names.join(', ');
}

export async function rerunRun(deps: OpsDeps, runId: string, request: RerunRequest, caller: Caller): Promise<QueuedRunView> {
  const parent = await deps.runs.getRun(runId);
  if (!parent) throw new OpsError('not-found', `no run "${runId}"`);
  const pipeline = pipelineOf(deps, parent.pipeline);
  if (!isTerminal(parent.status)) throw new OpsError('conflict', `run ${runId} is ${parent.status}; rerun it once it has ended`);
  const spec: RerunSpec = { of: runId, files: request.files, fromStage: request.fromStage };
  const selected = selectRerunFiles(await deps.runs.getFiles(runId), request.files);
  if (request.files === 'failed' && selected.length === 0) {
    throw new OpsError('conflict', `run ${runId} has no failed, quarantined or cancelled files to rerun`);
  }
  if (request.fromStage === 'load' && selected.length === 0) throw new OpsError('conflict', `run ${runId} has no files whose staged data a rerun from load could reuse`);
  const staged = request.fromStage === 'load' ? await stagedMessagesOf(deps, parent, selected) : [];
  if (request.fromStage === 'transform' && selected.length === 0) throw new OpsError('conflict', `run ${runId} fetched no files whose raw copies a rerun from transform could reuse`);
  const sources = request.fromStage === 'transform' ? await rawCopiesOf(deps, parent, selected) : [];

  const newRunId = operatorRunId('rerun', deps.now());
  const logicalDate = parent.logicalDate ?? parent.dates.at(-1);
  const queued = {
    pipeline: pipeline.name, trigger: 'retry' as const, actor: caller.principal, parentRunId: runId, rerun: spec,
    ...(logicalDate !== undefined ? { logicalDate } : {}),
  };
  const at = deps.now().toISOString();
  const recordOnParent = () => deps.runs.appendAction(runId, {
    action: 'rerun', actor: caller.principal, at, detail: { newRunId, files: spec.files, fromStage: spec.fromStage },
  });

  // Queued first (the run shows at once, and the fetch-ledger claims pass to a run that exists).
  if (!(await deps.runs.queueRun(newRunId, queued))) throw new OpsError('conflict', `a run "${newRunId}" already exists; try again`);
  await recordOnParent();
  if (request.fromStage === 'fetch') {
    const released = await releaseParentClaims(deps, pipeline, parent, selected, request.files, newRunId, caller);
    deps.logger.info('fetch-ledger claims released for a rerun', { runId, newRunId, actor: caller.principal, released: released.length, files: namesOf(released) });
    await publishRerunTrigger(deps, pipeline, newRunId, logicalDate, caller, spec);
  } else if (request.fromStage === 'transform') {
    await startFromRaw(deps, pipeline, parent, newRunId, sources, caller, logicalDate);
  } else {
    await startFromStaged(deps, pipeline, parent, newRunId, staged, caller, logicalDate);
  }
  deps.logger.info('run rerun', { runId, newRunId, pipeline: pipeline.name, actor: caller.principal, ...spec, files: selected.length });
  return { runId: newRunId, pipeline: pipeline.name, status: 'queued', parentRunId: runId };
}

// ---- from fetch ----

async function releaseParentClaims(
  deps: OpsDeps, pipeline: Pipeline, parent: RunRecord, selected: FileRecord[], which: 'all' | 'failed', newRunId: string, caller: Caller,
): Promise<FileRecord[]> {
  const wanted = new Map(selected.map((f) => [f.fileKey, f]));
  const released: FileRecord[] = [];
  for (const { identity, entry } of await claimsOfRun(deps.firestore, pipeline.name, parent.runId)) {
    const location = parseObjectName(entry.object);
    if (!location) continue;
    const file = wanted.get(fileKeyOf(location.path));
    if (which === 'failed' && !file) continue;
    const object = objectName('raw', { pipeline: pipeline.name, runId: newRunId, path: location.path });
    const passed = await releaseClaimForRerun(deps.firestore, identity, { from: parent.runId, to: newRunId, object, actor: caller.principal, now: deps.now() });
    if (passed) released.push(file ?? { fileKey: fileKeyOf(location.path), name: location.path, status: 'pending', stages: {} });
  }
  return released;
}

async function publishRerunTrigger(deps: OpsDeps, pipeline: Pipeline, runId: string, date: string | undefined, caller: Caller, rerun: RerunSpec): Promise<void> {
  try {
    await publishToStage(deps, pipeline.name, 'fetch', {
      v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'retry', runId, actor: caller.principal, rerun,
      ...(date !== undefined ? { date } : {}),
    });
  } catch (error) {
    // The claims passed to this run stay its own: they go stale and later runs take them over.
    const reason = `the rerun's trigger could not be published to the fetch topic: ${errorMessage(error)}`;
    await deps.runs.failRun(runId, 'fetch', reason).catch((failError: unknown) => deps.logger.error('could not fail the rerun', { runId, error: errorMessage(failError) }));
    throw new OpsError('unavailable', reason);
  }
}

// ---- from transform ----

interface RawCopy { file: FileRecord; from: ObjectRef; path: string }

// Where each selected file's raw object is now: raw/ (never loaded), archive/ (loaded, or an expanded
// archive), quarantine/. A file with none left cannot be reused: the rerun is refused naming it.
async function rawCopiesOf(deps: OpsDeps, parent: RunRecord, files: FileRecord[]): Promise<RawCopy[]> {
  const bucket = deps.storage.bucket(deps.bucket);
  const copies: RawCopy[] = [];
  const gone: FileRecord[] = [];
  for (const file of files) {
    const location = { pipeline: parent.pipeline, runId: parent.runId, path: file.raw ? (parseObjectName(file.raw.object)?.path ?? file.name) : file.name };
    let found: ObjectRef | undefined;
    for (const area of ['raw', 'archive', 'quarantine'] as const) {
      const name = objectName(area, location);
      try {
        const [metadata] = await bucket.file(name).getMetadata();
        found = { bucket: bucket.name, object: name, generation: String(metadata.generation) };
        break;
      } catch (error) {
        if (!isNotFound(error)) throw new OpsError('unavailable', `reading gs://${bucket.name}/${name}: ${errorMessage(error)}`);
      }
    }
    if (found) copies.push({ file, from: found, path: location.path });
    else gone.push(file);
  }
  if (gone.length > 0) {
    throw new OpsError('conflict', `run ${parent.runId}'s raw copies of ${gone.length} file(s) are gone (${namesOf(gone)}), so a rerun from transform cannot reuse them; rerun from fetch instead`);
  }
  return copies;
}

// Takes the queued run over as fetch would, copies the raw objects into its raw area (each starts
// transform through the bucket notification) and then tells it how many files it has.
async function startFromRaw(deps: OpsDeps, pipeline: Pipeline, parent: RunRecord, runId: string, copies: RawCopy[], caller: Caller, logicalDate: string | undefined): Promise<void> {
  await deps.runs.startRun(runId, rerunStart(pipeline, parent, runId, caller, logicalDate));
  const bucket = deps.storage.bucket(deps.bucket);
  try {
    for (const copy of copies) {
      const target = bucket.file(objectName('raw', { pipeline: pipeline.name, runId, path: copy.path }));
      await copyOnce(bucket.file(copy.from.object, { generation: Number(copy.from.generation) }), target);
    }
  } catch (error) {
    const reason = `copying the parent's raw files into the rerun failed: ${errorMessage(error)}`;
    await deps.runs.failRun(runId, 'fetch', reason);
    throw new OpsError('unavailable', reason);
  }
  const { runComplete } = await deps.runs.setExpectedFiles(runId, copies.length);
  if (runComplete) await announceRunComplete(deps, pipeline.name, runId);
}

// The rerun's start, as fetch would record it: a retry of the parent's dates, by the caller.
function rerunStart(pipeline: Pipeline, parent: RunRecord, runId: string, caller: Caller, logicalDate: string | undefined) {
  return {
    pipeline: pipeline.name, trigger: 'retry' as const, messageId: `rerun-${runId}`, dates: [...parent.dates], actor: caller.principal,
    ...(logicalDate !== undefined ? { logicalDate } : {}),
  };
}

// ---- from load ----

interface StagedCopy { file: FileRecord; message: StagedMessage }

// The staged message each selected file's transform published, when its staged objects are still
// there (kept for a file whose load failed). Any file without them refuses the whole rerun, named.
async function stagedMessagesOf(deps: OpsDeps, parent: RunRecord, files: FileRecord[]): Promise<StagedCopy[]> {
  const copies: StagedCopy[] = [];
  const gone: FileRecord[] = [];
  for (const file of files) {
    const message = keepsStagedForRerun(file) ? recordedStagedMessage(file) : undefined;
    if (message && (await stagedObjectsExist(deps, message))) copies.push({ file, message });
    else gone.push(file);
  }
  if (gone.length > 0) {
    throw new OpsError('conflict', `run ${parent.runId} has no staged data left for ${gone.length} file(s) (${namesOf(gone)}): only a file whose load failed keeps it (until the staged area's lifecycle rule removes it), and load deletes it once a file is loaded or quarantined; rerun from transform, which stages the raw files again`);
  }
  return copies;
}

async function stagedObjectsExist(deps: OpsDeps, message: StagedMessage): Promise<boolean> {
  const bucket = deps.storage.bucket(message.staged.bucket);
  for (const [name, generation] of [[message.staged.object, message.staged.generation], [message.schemaObject, undefined]] as const) {
    try {
      const [metadata] = await bucket.file(name).getMetadata();
      if (generation !== undefined && String(metadata.generation) !== generation) return false;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw new OpsError('unavailable', `reading gs://${bucket.name}/${name}: ${errorMessage(error)}`);
    }
  }
  return true;
}

// Takes the queued run over, names its files (as transform would), tells it how many it has and
// sends each file's staged message, now for this run, to load.
async function startFromStaged(deps: OpsDeps, pipeline: Pipeline, parent: RunRecord, runId: string, copies: StagedCopy[], caller: Caller, logicalDate: string | undefined): Promise<void> {
  await deps.runs.startRun(runId, rerunStart(pipeline, parent, runId, caller, logicalDate));
  for (const { file, message } of copies) await deps.runs.nameFile(runId, message.fileKey, file.name);
  const { runComplete } = await deps.runs.setExpectedFiles(runId, copies.length);
  if (runComplete) await announceRunComplete(deps, pipeline.name, runId);
  try {
    for (const { message } of copies) await publishToStage(deps, pipeline.name, 'load', { ...message, runId });
  } catch (error) {
    const reason = `the rerun's staged messages could not be published to the load topic: ${errorMessage(error)}`;
    await deps.runs.failRun(runId, 'load', reason).catch((failError: unknown) => deps.logger.error('could not fail the rerun', { runId, error: errorMessage(failError) }));
    throw new OpsError('unavailable', reason);
  }
}
