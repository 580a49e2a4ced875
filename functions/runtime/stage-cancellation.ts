// The stages' side of an operator's cancel (functions/ops/controls/cancel.ts): before a file starts
// its next stage, the stage asks the run store whether its run was cancelled and, if so, ends the file
// 'cancelled' and does nothing else. The stage already working on a file finishes it; the run ends
// 'cancelled' once every file has ended, and notify sends its one notice.
import type { Logger } from '../../shared/logger';
import type { StageName } from '../../shared/stage-declaration';
import type { StageContext } from './context';

// True when the run was cancelled: the file has then been ended 'cancelled' (idempotent, and the last
// file's end publishes run-complete), and the caller acknowledges its message doing nothing more.
export async function endIfCancelled(ctx: StageContext, runId: string, fileKey: string, stage: StageName, log: Logger): Promise<boolean> {
  if (!(await ctx.runs.isCancelled(runId))) return false;
  log.info('run cancelled; file not processed further', { stage });
  await ctx.finishFile(runId, fileKey, 'cancelled', { stage });
  return true;
}
