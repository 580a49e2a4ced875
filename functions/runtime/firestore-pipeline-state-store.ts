// The Firestore PipelineStateStore (pipeline-state-store.ts): `sluice_pipelines/<name>` holds whether
// the pipeline is paused and who paused or resumed it last; `.../scheduleChecks/<fire time>` one
// document per schedule fire time the missed-schedule alert judged, created once (the claim).
import type { Firestore } from '@google-cloud/firestore';
import type { Actor } from './run-record';
import { PIPELINES_COLLECTION } from './pipeline-state-store';
import type { PipelineState, PipelineStateStore } from './pipeline-state-store';

export const SCHEDULE_CHECKS_SUBCOLLECTION = 'scheduleChecks';

// Firestore's code for "the document already exists" (a create that lost the race).
const ALREADY_EXISTS = 6;

function isAlreadyExists(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === ALREADY_EXISTS || code === 'already-exists' || code === 'ALREADY_EXISTS';
}

// A fire time as a document id: ids may not contain '/', and fire times are ISO instants, which do not;
// anything else is rejected here rather than written under a surprising path.
function checkId(fireTime: string): string {
  if (!/^[0-9A-Za-z:.+-]{1,100}$/.test(fireTime)) throw new RangeError(`not a fire time: "${fireTime}"`);
  return fireTime;
}

function stateOf(pipeline: string, data: Partial<PipelineState> | undefined): PipelineState {
  return { ...data, pipeline, paused: data?.paused === true };
}

export function createFirestorePipelineStateStore(firestore: Firestore, options: { now?: () => Date } = {}): PipelineStateStore {
  const now = options.now ?? (() => new Date());
  const doc = (pipeline: string) => firestore.collection(PIPELINES_COLLECTION).doc(pipeline);

  const store = {
    async get(pipeline: string) {
      const snap = await doc(pipeline).get();
      return stateOf(pipeline, snap.data() as Partial<PipelineState> | undefined);
    },

    async setPaused(pipeline: string, paused: boolean, actor: Actor) {
      const ref = doc(pipeline);
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const current = stateOf(pipeline, snap.data() as Partial<PipelineState> | undefined);
        // Pausing a paused pipeline keeps who paused it first: that is who the skipped runs name.
        if (current.paused === paused) return current;
        const at = now().toISOString();
        const change: Partial<PipelineState> = paused
          ? { paused: true, pausedBy: actor, pausedAt: at }
          : { paused: false, resumedBy: actor, resumedAt: at };
        const next: PipelineState = { ...current, ...change, updatedAt: at };
        tx.set(ref, next);
        return next;
      });
    },

    async claimScheduleCheck(pipeline: string, fireTime: string) {
      const ref = doc(pipeline).collection(SCHEDULE_CHECKS_SUBCOLLECTION).doc(checkId(fireTime));
      try {
        await ref.create({ pipeline, fireTime, claimedAt: now().toISOString() });
        return true;
      } catch (error) {
        if (isAlreadyExists(error)) return false;
        throw error;
      }
    },

    // Gives a fire time's claim back (the missed-schedule alert could not be sent), so the next check
    // judges that fire time again. Deleting a claim that is not there is no error.
    async releaseScheduleCheck(pipeline: string, fireTime: string) {
      await doc(pipeline).collection(SCHEDULE_CHECKS_SUBCOLLECTION).doc(checkId(fireTime)).delete();
    },
  };
  // (releaseScheduleCheck is the optional member i11-alerts adds to PipelineStateStore.)
  const typed: PipelineStateStore & { releaseScheduleCheck(pipeline: string, fireTime: string): Promise<void> } = store;
  return typed;
}
