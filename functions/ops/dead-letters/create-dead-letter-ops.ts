// The ops service's DeadLetterOps (ops-service.ts) over the kept dead letters (dead-letter-store.ts):
// list by pipeline/stage/time in cursor pages, newest first; get one; replay or purge the named ones or
// every one matching a filter (capped), with a dry run that only counts. What a replay does is
// replay-plan.ts's: a rerun of the letter's ended run (through the run controls), or the trigger
// published again to fetch when no run was ever recorded. Each replay is recorded on the letter (who,
// when, the new message or run) and on the run it concerns.
import { topicName } from '../../../shared/topology';
import type { KeptDeadLetter } from '../../runtime/dead-letter-store';
import type { Caller, DeadLetterSelection } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError, type DeadLetterOps, type RunControls } from '../ops-service';
import { deadLetterViewOf } from './dead-letter-view';
import { replayPlanOf, rerunRequestFor } from './replay-plan';

// "Replay all matching" acts on at most this many letters per call (newest first); call again for more.
export const MAX_SELECTED = 1000;
// Set on a replayed message, so its stage's log lines and a second dead-lettering say where it came from.
export const REPLAY_OF_ATTRIBUTE = 'sluiceReplayOf';

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);

export function createDeadLetterOps(deps: OpsDeps, controls: RunControls): DeadLetterOps {
  const store = deps.deadLetters;
  const log = deps.logger.child({ component: 'dead-letters' });

  const requireOperator = (caller: Caller) => {
    if (caller.role !== 'operator') throw new OpsError('forbidden', 'replaying and purging dead letters is for operators');
  };

  // The selection's letters, as they stand (named ids that do not exist are left out).
  async function selected(selection: DeadLetterSelection): Promise<KeptDeadLetter[]> {
    const ids = selection.ids ?? (await store.idsMatching(selection.filter ?? {}, MAX_SELECTED));
    const letters = await Promise.all([...new Set(ids)].slice(0, MAX_SELECTED).map((id) => store.get(id)));
    return letters.filter((letter): letter is KeptDeadLetter => letter !== undefined);
  }

  return {
    async list(query) {
      const page = await store.list(
        { ...(query.pipeline ? { pipeline: query.pipeline } : {}), ...(query.stage ? { stage: query.stage } : {}), ...(query.since ? { since: query.since } : {}), ...(query.until ? { until: query.until } : {}) },
        { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
      ).catch((error: unknown) => {
        if (error instanceof RangeError) throw new OpsError('invalid-request', 'cursor: not one this list gave');
        throw error;
      });
      return { deadLetters: page.deadLetters.map(deadLetterViewOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },

    async get(id) {
      const letter = await store.get(id);
      return letter ? deadLetterViewOf(letter) : undefined;
    },

    async replay(selection, caller) {
      requireOperator(caller);
      const letters = await selected(selection);
      if (selection.dryRun) return { matched: letters.length, done: 0, dryRun: true };
      const skipped: Array<{ id: string; reason: string }> = [];
      const reruns = new Map<string, KeptDeadLetter[]>();
      let done = 0;
      const record = async (letter: KeptDeadLetter, messageId: string, rerunId?: string) => {
        const at = deps.now().toISOString();
        await store.recordReplay(letter.id, { actor: caller.principal, at, messageId, ...(rerunId ? { rerunId } : {}) });
        if (letter.runId) {
          await deps.runs.appendAction(letter.runId, { action: 'replay', actor: caller.principal, at, detail: { deadLetterId: letter.id, ...(rerunId ? { rerunId } : { messageId }) } })
            .catch((error: unknown) => log.warn('could not record the replay on its run', { runId: letter.runId, error: errorMessage(error) }));
        }
        done += 1;
      };

      for (const letter of letters) {
        if (!deps.pipelines.some((p) => p.name === letter.pipeline)) {
          skipped.push({ id: letter.id, reason: `pipeline "${letter.pipeline}" is not deployed here` });
          continue;
        }
        const run = letter.runId ? await deps.runs.getRun(letter.runId) : undefined;
        const plan = replayPlanOf(letter, run);
        if (plan.kind === 'refuse') {
          skipped.push({ id: letter.id, reason: plan.why });
        } else if (plan.kind === 'rerun') {
          reruns.set(plan.runId, [...(reruns.get(plan.runId) ?? []), letter]);
        } else {
          // The original data and attributes, without what dead-lettering added (kept apart already).
          const messageId = await deps.pubsub.topic(topicName(deps.prefix, letter.pipeline, plan.stage)).publishMessage({
            data: Buffer.from(letter.message.data, 'base64'),
            attributes: { ...letter.message.attributes, [REPLAY_OF_ATTRIBUTE]: letter.id },
          });
          log.info('dead letter replayed to its stage', { deadLetterId: letter.id, stage: plan.stage, messageId, actor: caller.principal });
          await record(letter, messageId);
        }
      }
      // One rerun per run, however many of its letters were selected.
      for (const [runId, ofRun] of reruns) {
        try {
          const rerun = await controls.rerun(runId, rerunRequestFor(ofRun.map((l) => l.stage)), caller);
          log.info('dead letters replayed as a rerun', { runId, rerunId: rerun.runId, deadLetters: ofRun.map((l) => l.id), actor: caller.principal });
          for (const letter of ofRun) await record(letter, rerun.runId, rerun.runId);
        } catch (error) {
          if (!(error instanceof OpsError) && (error as Error).name !== 'OpsError') throw error;
          for (const letter of ofRun) skipped.push({ id: letter.id, reason: errorMessage(error) });
        }
      }
      return { matched: letters.length, done, dryRun: false, ...(skipped.length > 0 ? { skipped } : {}) };
    },

    async purge(selection, caller) {
      requireOperator(caller);
      const letters = await selected(selection);
      if (selection.dryRun) return { matched: letters.length, done: 0, dryRun: true };
      const removed = await store.remove(letters.map((l) => l.id));
      log.info('dead letters purged', { removed, actor: caller.principal, ...(selection.filter ? { filter: selection.filter } : {}) });
      return { matched: letters.length, done: removed, dryRun: false };
    },
  };
}
