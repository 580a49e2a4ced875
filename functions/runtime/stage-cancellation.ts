// The stages' side of an operator's cancel (functions/ops/controls/cancel.ts): before a file starts
// its next stage, the stage asks the run store whether its run was cancelled and, if so, ends the file
// 'cancelled' and does nothing else. The stage already working on a file finishes it; the run ends
// 'cancelled' once every file has ended, and notify sends its one notice.
import type { Logger } from '../../shared/logger';
import type { StageName } from '../../shared/stage-declaration';
import type { RunRecorder, StageContext } from './context';
import type { RunStore } from './run-store';

// What of the RunStore the stages need for the operator controls.
export type StageControlStore = Pick<RunStore, 'getRun' | 'isCancelled' | 'recordPausedRun' | 'recordDryRun'>;

// The run store behind a stage's recorder. The runtime's recorder is the Firestore RunStore; a test's
// in-memory recorder that records only the RunRecorder calls has none, and its runs are never cancelled.
export function controlStoreOf(runs: RunRecorder): StageControlStore | undefined {
  const store = runs as Partial<RunStore>;
  return typeof store.isCancelled === 'function' && typeof store.getRun === 'function' ? (runs as RunStore) : undefined;
}

// True when the run was cancelled: the file has then been ended 'cancelled' (idempotent, and the last
// file's end publishes run-complete), and the caller acknowledges its message doing nothing more.
export async function endIfCancelled(ctx: StageContext, runId: string, fileKey: string, stage: StageName, log: Logger): Promise<boolean> {
  const store = controlStoreOf(ctx.runs);
  if (!store || !(await store.isCancelled(runId))) return false;
  log.info('run cancelled; file not processed further', { stage });
  await ctx.finishFile(runId, fileKey, 'cancelled', { stage });
  return true;
}
