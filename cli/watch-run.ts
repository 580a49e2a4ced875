// Follows one run until it ends and returns it as it ended, for the caller to turn into an exit
// code. Live through the API's event stream (GET /runs/{id}/events) where the server has one; a
// poll of GET /runs/{id} every interval where it has not, or when the stream drops — and, while
// streaming, a slower poll as well, so a missed event can delay the end but never hang the watch.
import type { RunDetail } from '../functions/ops/api-schemas';
import { isTerminal, type RunStatus } from '../functions/runtime/run-record';
import type { OpsClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { createLiveView } from './live-view';
import type { Output } from './output';
import { progressLines } from './render/stage-progress';

export interface WatchOptions {
  intervalMs: number;
  // Called with every change (jsonl streams them to stdout).
  onChange?: (detail: RunDetail) => void;
  // Default true; false: poll only.
  live?: boolean;
}

// While the stream is open, a poll this many intervals apart as well.
const SAFETY_POLLS = 10;

const sleep = (ms: number) => new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), ms));

export async function watchRun(client: OpsClient, runId: string, out: Output, options: WatchOptions): Promise<RunDetail> {
  const view = createLiveView(out.streams.stderr, out.stderrIsTTY);
  let last = '';
  const show = (detail: RunDetail): boolean => {
    view.update(progressLines(detail, out.errColor, out.stderrIsTTY));
    const fingerprint = JSON.stringify({ run: detail.run, stages: detail.stages });
    if (fingerprint !== last) {
      last = fingerprint;
      options.onChange?.(detail);
    }
    return isTerminal(detail.run.status as RunStatus);
  };

  // The first read also tells a run that is not there (exit 3) before any stream opens.
  let detail = await client.getRun(runId);
  if (show(detail)) return detail;

  if (options.live !== false) {
    const abort = new AbortController();
    const events = await client.runEvents(runId, abort.signal);
    if (events !== undefined) {
      try {
        // The read in flight when the watch ends is abandoned (the abort below rejects it): caught here.
        const read = () => {
          const p = events.next();
          p.catch(() => {});
          return p;
        };
        let pending = read();
        for (;;) {
          const next = await Promise.race([pending, sleep(options.intervalMs * SAFETY_POLLS)]);
          if (next === 'tick') detail = await client.getRun(runId);
          else if (next.done) break; // the stream ended: poll from here
          else {
            pending = read();
            if (next.value === undefined) throw new CliError(`run "${runId}" is gone`, EXIT.notFound);
            detail = next.value;
          }
          if (show(detail)) return detail;
        }
      } catch (error) {
        if (error instanceof CliError) throw error;
        // A dropped connection: polling carries on.
      } finally {
        abort.abort();
      }
    }
  }

  for (;;) {
    await sleep(options.intervalMs);
    detail = await client.getRun(runId);
    if (show(detail)) return detail;
  }
}
