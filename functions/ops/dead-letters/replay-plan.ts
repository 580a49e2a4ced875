// What replaying a kept dead letter does, decided from the letter and its run as they stand (pure).
//
// By the time an operator replays a dead letter, notify has already ended what it was about: the file
// failed, or the run failed (dead-letter.ts), and the run has usually ended with its alert sent.
// Publishing the original message into that run again would have a stage work on a file its run says
// failed — rows could be loaded under a run that reports them failed. So a replay of a letter whose run
// has ended is a rerun of that run (controls' rerun: a new run with parentRunId, the parent unchanged)
// from the stage the work must restart at:
//  - a trigger fetch gave up on: every file, from fetch (the fetch ledger hands the parent's claims to
//    the rerun on purpose; a run that never listed its files has nothing else to go by);
//  - a file transform, load or aggregate gave up on: the run's failed files, from transform (its raw
//    copies are always there; the staged data a rerun from load could reuse is kept only for files
//    that failed in load, and only until the staged area's lifecycle rule removes it).
// Letters of one run replayed together make one rerun. Replaying again makes another rerun, which the
// ledgers make harmless: the load ledger keys on the source file's version, so rows a rerun loaded are
// never loaded twice (the second rerun's files end 'loaded' from the ledger or 'skipped').
// A trigger with no run at all (fetch died before recording one) is published again to fetch, as it
// was: fetch starts the run it should have started and its ledger decides what is new.
// Anything else is refused with the reason: a run still going (replay once it has ended), a letter
// that could not be read as any stage's message, a file message for a run that does not exist.
import type { KeptDeadLetter } from '../../runtime/dead-letter-store';
import { isTerminal, type RunRecord } from '../../runtime/run-record';
import type { StageName } from '../../../shared/stage-declaration';
import type { RerunRequest } from '../api-schemas';

export type ReplayPlan =
  | { kind: 'rerun'; runId: string; request: RerunRequest }
  | { kind: 'publish'; stage: StageName }
  | { kind: 'refuse'; why: string };

export function replayPlanOf(letter: KeptDeadLetter, run: RunRecord | undefined): ReplayPlan {
  if (letter.stage === 'unknown' || letter.reason.includes('(undecodable:')) return { kind: 'refuse', why: `not a message of any Sluice stage (${letter.reason})` };
  if (letter.stage === 'notify') return { kind: 'refuse', why: 'notify does not dead-letter to itself; nothing to replay' };
  if (run) {
    if (!isTerminal(run.status)) return { kind: 'refuse', why: `run ${run.runId} is ${run.status}; replay once it has ended (the replay reruns it)` };
    // A trigger dead-lettered after its run had listed its files (lost acknowledgements): the run did
    // its work, and ended as its files did; unless it failed there is nothing to redo.
    if (letter.stage === 'fetch' && run.expectedFiles !== null && run.expectedFiles !== undefined && run.status !== 'failed') {
      return { kind: 'refuse', why: `run ${run.runId} listed its files and ended ${run.status}; nothing was lost` };
    }
    return { kind: 'rerun', runId: run.runId, request: rerunRequestFor([letter.stage]) };
  }
  if (letter.runId && letter.stage !== 'fetch') return { kind: 'refuse', why: `run ${letter.runId} has no record (expired or never written); nothing to replay into` };
  if (letter.stage === 'fetch') return { kind: 'publish', stage: 'fetch' };
  return { kind: 'refuse', why: 'a file message with no run' };
}

// One rerun for all the letters of a run: from fetch with every file when fetch gave any of them up.
export function rerunRequestFor(stages: ReadonlyArray<KeptDeadLetter['stage']>): RerunRequest {
  return stages.includes('fetch') ? { files: 'all', fromStage: 'fetch' } : { files: 'failed', fromStage: 'transform' };
}
