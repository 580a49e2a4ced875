// Follows one run until it ends: polls GET /runs/{id} (the CLI needs nothing live beyond this; a
// poll a second is what a person watching can read), draws each stage's files and rows, and
// returns the run as it ended for the caller to turn into an exit code.
import type { RunDetail } from '../functions/ops/api-schemas';
import { isTerminal, type RunStatus } from '../functions/runtime/run-record';
import type { OpsClient } from './api-client';
import { createLiveView } from './live-view';
import type { Output } from './output';
import { progressLines } from './render/stage-progress';

export interface WatchOptions {
  intervalMs: number;
  // Called with every change (jsonl streams them to stdout).
  onChange?: (detail: RunDetail) => void;
}

export async function watchRun(client: OpsClient, runId: string, out: Output, options: WatchOptions): Promise<RunDetail> {
  const view = createLiveView(out.streams.stderr, out.stderrIsTTY);
  let last = '';
  for (;;) {
    const detail = await client.getRun(runId);
    view.update(progressLines(detail, out.errColor, out.stderrIsTTY));
    const fingerprint = JSON.stringify({ run: detail.run, stages: detail.stages });
    if (fingerprint !== last) {
      last = fingerprint;
      options.onChange?.(detail);
    }
    if (isTerminal(detail.run.status as RunStatus)) {
      view.done();
      return detail;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
