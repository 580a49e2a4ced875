// Dead-letter ops over the Firestore dead-letter store and Pub/Sub on the local cloud, with fake runs
// and controls (the seams): what a replay does for each kind of letter (replay-plan.ts), one rerun per
// run, a trigger that never got a run published again to fetch without its dead-letter attributes,
// refusals with the reason, dry runs, purge, operators only.
import type { Firestore } from '@google-cloud/firestore';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetterOps, REPLAY_OF_ATTRIBUTE } from '../../../functions/ops/dead-letters/create-dead-letter-ops';
import { replayPlanOf } from '../../../functions/ops/dead-letters/replay-plan';
import type { OpsDeps } from '../../../functions/ops/ops-deps';
import { OpsError, type RunControls } from '../../../functions/ops/ops-service';
import type { DeadLetterStore, KeptDeadLetter } from '../../../functions/runtime/dead-letter-store';
import { createFirestoreDeadLetterStore } from '../../../functions/runtime/firestore-dead-letter-store';
import type { RunAction, RunRecord, RunStatus } from '../../../functions/runtime/run-record';
import type { RunStore } from '../../../functions/runtime/run-store';
import { silentLogger } from '../../../shared/logger';
import { topicName } from '../../../shared/topology';
import { waitFor } from '../../support/wait-for';
import { firestoreFor, pubsubFor, uniqueName, uniqueProjectId } from '../../support/local-cloud';

const projectId = uniqueProjectId('dlops');
const PIPELINE = uniqueName('dl');
const operator = { principal: 'user:ana@example.com', role: 'operator' as const };
let firestore: Firestore;
let pubsub: PubSub;
let subscription: Subscription;
const fetched: Message[] = [];
let store: DeadLetterStore;

beforeAll(async () => {
  firestore = firestoreFor(projectId);
  pubsub = pubsubFor(projectId);
  const [topic] = await pubsub.createTopic(topicName('sluice', PIPELINE, 'fetch'));
  [subscription] = await topic.createSubscription(`${PIPELINE}-fetch-test`);
  subscription.on('message', (m: Message) => {
    fetched.push(m);
    m.ack();
  });
  store = createFirestoreDeadLetterStore(firestore);
});
afterAll(async () => {
  await subscription?.close();
  await pubsub?.close();
  await firestore?.terminate();
});

const run = (runId: string, status: RunStatus, over: Partial<RunRecord> = {}): RunRecord => ({
  runId, pipeline: PIPELINE, trigger: 'schedule', messageId: 'm', dates: [], status, createdAt: '', updatedAt: '', expectedFiles: 2, endedFiles: 2,
  counts: { loaded: 0, skipped: 0, superseded: 0, quarantined: 0, failed: 2, expanded: 0, cancelled: 0 }, stages: {}, ...over,
});

function world(runs: RunRecord[]) {
  const actions: Array<[string, RunAction]> = [];
  const reruns: Array<[string, unknown]> = [];
  const runStore = {
    async getRun(id: string) { return runs.find((r) => r.runId === id); },
    async appendAction(id: string, action: RunAction) { actions.push([id, action]); },
  } as unknown as RunStore;
  const controls = {
    async rerun(id: string, request: unknown) {
      if (id === 'r-nothing') throw new OpsError('conflict', `run ${id} has no failed, quarantined or cancelled files to rerun`);
      reruns.push([id, request]);
      return { runId: `${id}-rerun${reruns.length}`, pipeline: PIPELINE, status: 'queued' as const, parentRunId: id };
    },
  } as unknown as RunControls;
  const deps = { pipelines: [{ name: PIPELINE }], prefix: 'sluice', pubsub, runs: runStore, deadLetters: store, logger: silentLogger, now: () => new Date() } as unknown as OpsDeps;
  return { ops: createDeadLetterOps(deps, controls), actions, reruns };
}

let n = 0;
const keep = (over: Partial<Parameters<DeadLetterStore['keep']>[0]>) => store.keep({
  pipeline: PIPELINE, stage: 'load', reason: 'gave up after 8 attempts in load', attempts: 8,
  message: { data: Buffer.from(JSON.stringify({ v: 1, type: 'sluice.staged', n: ++n })).toString('base64'), attributes: { pipeline: PIPELINE }, messageId: `orig-${n}` },
  deadLetter: { messageId: `copy-${n}`, attributes: { CloudPubSubDeadLetterSourceDeliveryCount: '8' } },
  ...over,
});

describe('replay plan', () => {
  const letter = (over: Partial<KeptDeadLetter>): KeptDeadLetter => ({ id: 'x', pipeline: 'p', stage: 'load', reason: 'r', receivedAt: '', message: { data: '', attributes: {} }, ...over });
  it('reruns an ended run: failed files from transform for a file letter, every file from fetch for a trigger', () => {
    expect(replayPlanOf(letter({ runId: 'r' }), run('r', 'failed'))).toEqual({ kind: 'rerun', runId: 'r', request: { files: 'failed', fromStage: 'transform' } });
    expect(replayPlanOf(letter({ stage: 'aggregate', runId: 'r' }), run('r', 'partial'))).toMatchObject({ request: { files: 'failed', fromStage: 'transform' } });
    expect(replayPlanOf(letter({ stage: 'fetch', runId: 'r' }), run('r', 'failed', { expectedFiles: null }))).toMatchObject({ request: { files: 'all', fromStage: 'fetch' } });
  });
  it('publishes a trigger that never got a run to fetch; refuses the rest with why', () => {
    expect(replayPlanOf(letter({ stage: 'fetch' }), undefined)).toEqual({ kind: 'publish', stage: 'fetch' });
    expect(replayPlanOf(letter({ runId: 'r' }), run('r', 'running'))).toMatchObject({ kind: 'refuse', why: expect.stringContaining('is running; replay once it has ended') });
    expect(replayPlanOf(letter({ runId: 'gone' }), undefined)).toMatchObject({ kind: 'refuse', why: expect.stringContaining('has no record') });
    expect(replayPlanOf(letter({ stage: 'unknown' }), undefined)).toMatchObject({ kind: 'refuse' });
    expect(replayPlanOf(letter({ reason: 'gave up after 8 attempts in load (undecodable: data is not a JSON object)' }), undefined)).toMatchObject({ kind: 'refuse' });
    // Lost acknowledgements of a trigger whose run listed its files and succeeded: nothing was lost.
    expect(replayPlanOf(letter({ stage: 'fetch', runId: 'r' }), run('r', 'succeeded'))).toMatchObject({ kind: 'refuse', why: expect.stringContaining('nothing was lost') });
  });
});

describe('dead-letter ops', () => {
  it('replays letters of one ended run as one rerun, recorded on each letter and the run; refuses what it cannot replay', async () => {
    const w = world([run('r-a', 'failed'), run('r-live', 'running'), run('r-nothing', 'failed')]);
    const a1 = await keep({ runId: 'r-a', fileKey: 'f1' });
    const a2 = await keep({ runId: 'r-a', fileKey: 'f2', stage: 'transform' });
    const live = await keep({ runId: 'r-live', fileKey: 'f3' });
    const nothing = await keep({ runId: 'r-nothing', fileKey: 'f4' });

    expect(await w.ops.replay({ ids: [a1.id, a2.id, live.id, nothing.id, 'no-such'], dryRun: true }, operator)).toEqual({ matched: 4, done: 0, dryRun: true });
    expect(w.reruns).toEqual([]);
    const result = await w.ops.replay({ ids: [a1.id, a2.id, live.id, nothing.id], dryRun: false }, operator);
    expect(result).toMatchObject({ matched: 4, done: 2, dryRun: false });
    expect(result.skipped).toEqual(expect.arrayContaining([
      { id: live.id, reason: expect.stringContaining('r-live is running') },
      { id: nothing.id, reason: expect.stringContaining('no failed, quarantined or cancelled files') },
    ]));
    expect(w.reruns).toEqual([['r-a', { files: 'failed', fromStage: 'transform' }]]);
    for (const id of [a1.id, a2.id]) expect((await w.ops.get(id))?.replays).toEqual([expect.objectContaining({ actor: operator.principal, rerunId: 'r-a-rerun1', messageId: 'r-a-rerun1' })]);
    expect(w.actions.filter(([id]) => id === 'r-a').map(([, a]) => a)).toEqual([
      expect.objectContaining({ action: 'replay', actor: operator.principal, detail: { deadLetterId: a1.id, rerunId: 'r-a-rerun1' } }),
      expect.objectContaining({ action: 'replay', detail: { deadLetterId: a2.id, rerunId: 'r-a-rerun1' } }),
    ]);
  });

  it('publishes a trigger with no run to fetch again with its original attributes, not the dead-letter ones', async () => {
    const w = world([]);
    const trigger = { v: 1, type: 'sluice.trigger', pipeline: PIPELINE, trigger: 'schedule' };
    const letter = await keep({
      stage: 'fetch', reason: 'gave up after 5 attempts in fetch',
      message: { data: Buffer.from(JSON.stringify(trigger)).toString('base64'), attributes: { pipeline: PIPELINE, sluiceType: 'sluice.trigger' } },
    });
    expect(await w.ops.replay({ ids: [letter.id], dryRun: false }, operator)).toEqual({ matched: 1, done: 1, dryRun: false });
    await waitFor('the replayed trigger', () => fetched.length > 0, 15_000);
    const [message] = fetched;
    expect(JSON.parse(message!.data.toString('utf8'))).toEqual(trigger);
    expect(message!.attributes).toEqual({ pipeline: PIPELINE, sluiceType: 'sluice.trigger', [REPLAY_OF_ATTRIBUTE]: letter.id });
    expect((await w.ops.get(letter.id))?.replays).toEqual([expect.objectContaining({ messageId: message!.id })]);
  });

  it('lists newest first with a cursor, purges by filter, and is for operators only', async () => {
    const w = world([]);
    const page = await w.ops.list({ pipeline: PIPELINE, limit: 2 });
    expect(page.deadLetters).toHaveLength(2);
    expect(page.nextCursor).toBeDefined();
    expect(page.deadLetters[0]!.receivedAt >= page.deadLetters[1]!.receivedAt).toBe(true);
    // The view leaves what dead-lettering added, and the TTL field, to the store.
    expect(page.deadLetters[0]).not.toHaveProperty('deadLetter');
    expect(page.deadLetters[0]).not.toHaveProperty('expiresAt');
    await expect(w.ops.list({ limit: 2, cursor: 'junk' })).rejects.toMatchObject({ code: 'invalid-request' });

    const viewer = { principal: 'user:v@example.com', role: 'viewer' as const };
    await expect(w.ops.replay({ filter: { pipeline: PIPELINE }, dryRun: false }, viewer)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(w.ops.purge({ filter: { pipeline: PIPELINE }, dryRun: false }, viewer)).rejects.toMatchObject({ code: 'forbidden' });

    const loads = await w.ops.purge({ filter: { pipeline: PIPELINE, stage: 'load' }, dryRun: true }, operator);
    expect(loads).toEqual({ matched: 3, done: 0, dryRun: true });
    expect(await w.ops.purge({ filter: { pipeline: PIPELINE, stage: 'load' }, dryRun: false }, operator)).toEqual({ matched: 3, done: 3, dryRun: false });
    expect((await w.ops.list({ pipeline: PIPELINE, limit: 50 })).deadLetters.map((d) => d.stage).sort()).toEqual(['fetch', 'transform']);
  });
});
