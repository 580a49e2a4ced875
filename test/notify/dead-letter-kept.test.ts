// Notify keeps every dead letter it handles (sluice_dead_letters) before it ends the file or run: once
// per original message however often the dead letter is redelivered, with the stage, the reason, the
// attempts, and the original message apart from what dead-lettering added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { createFirestoreDeadLetterStore } from '../../functions/runtime/firestore-dead-letter-store';
import type { DeadLetterStore } from '../../functions/runtime/dead-letter-store';
import { deadLetterAttributes } from '../support/dead-letter-attributes';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;
let h: StageHarness;
let kept: DeadLetterStore;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'dlk', smtp: true });
  h = await stageHarness(world, testPipeline(world, {}));
  kept = createFirestoreDeadLetterStore(world.clients.firestore);
});

afterAll(async () => {
  await h?.close();
  await world?.stop();
});

const pubsubDeadLetter = (stage: 'fetch' | 'load', attempts: number) => ({
  ...deadLetterAttributes(world, h.pipeline.name, stage, attempts),
  CloudPubSubDeadLetterSourceTopicPublishTime: '2026-11-21T11:00:03.412+00:00',
});

describe('notify keeps dead letters', () => {
  it('keeps a staged message load gave up on once, under redelivery, with its reason, before the file ends', async () => {
    await h.startRun('r-kept', [{ fileKey: 'fk', name: 'Payments.csv' }], 'load');
    const staged = {
      v: 1, type: 'sluice.staged', pipeline: h.pipeline.name, runId: 'r-kept', fileKey: 'fk',
      raw: { bucket: 'b', object: `raw/${h.pipeline.name}/r-kept/Payments.csv`, generation: '1' },
      staged: { bucket: 'b', object: `staged/${h.pipeline.name}/r-kept/Payments.csv.csv`, generation: '2' },
      schemaObject: `staged/${h.pipeline.name}/r-kept/Payments.csv.schema.json`, rule: 'payments', table: 'payments', rows: 3,
    };
    const attributes = { pipeline: h.pipeline.name, runId: 'r-kept', sluiceType: 'sluice.staged', ...pubsubDeadLetter('load', 5) };
    // The same dead-letter copy delivered three times (twice at once), as Pub/Sub may.
    await Promise.all([
      h.deliver('notify', handleNotify, staged, { messageId: 'dl-copy-1', attributes }),
      h.deliver('notify', handleNotify, staged, { messageId: 'dl-copy-1', attributes }),
    ]);
    await h.deliver('notify', handleNotify, staged, { messageId: 'dl-copy-1', attributes });

    const { deadLetters } = await kept.list({ pipeline: h.pipeline.name, stage: 'load' }, { limit: 10 });
    expect(deadLetters).toHaveLength(1);
    const [letter] = deadLetters;
    expect(letter).toMatchObject({
      pipeline: h.pipeline.name, stage: 'load', reason: 'gave up after 5 attempts in load', attempts: 5, runId: 'r-kept', fileKey: 'fk',
      message: { attributes: { pipeline: h.pipeline.name, runId: 'r-kept', sluiceType: 'sluice.staged' }, publishTime: '2026-11-21T11:00:03.412+00:00' },
      deadLetter: { messageId: 'dl-copy-1', attributes: pubsubDeadLetter('load', 5) },
    });
    expect(JSON.parse(Buffer.from(letter!.message.data, 'base64').toString('utf8'))).toEqual(staged);
    expect(letter!.expiresAt).toBeInstanceOf(Date);
    // And the file ended failed, as before.
    expect((await h.files('r-kept'))[0]).toMatchObject({ status: 'failed', error: { stage: 'load', message: 'gave up after 5 attempts in load' } });
  });

  it('keys a letter the runner forwarded by the original message id it names, with the permanent error as reason', async () => {
    await h.startRun('r-perm', [{ fileKey: 'fp', name: 'Items.csv' }], 'aggregate');
    const loaded = { v: 1, type: 'sluice.loaded', pipeline: h.pipeline.name, runId: 'r-perm', fileKey: 'fp', table: 'order_items' };
    const attributes = { sluiceError: 'invalid loaded message: raw: Required', sluiceSourceStage: 'aggregate', sluiceSourceMessageId: 'orig-42' };
    // The runner forwards it; should that forwarding be retried, the copy has another id.
    await h.deliver('notify', handleNotify, loaded, { messageId: 'fwd-1', attributes });
    await h.deliver('notify', handleNotify, loaded, { messageId: 'fwd-2', attributes });
    const { deadLetters } = await kept.list({ pipeline: h.pipeline.name, stage: 'aggregate' }, { limit: 10 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      stage: 'aggregate', reason: 'failed permanently in aggregate: invalid loaded message: raw: Required', runId: 'r-perm', fileKey: 'fp',
      message: { messageId: 'orig-42', attributes: {} },
      deadLetter: { messageId: 'fwd-1', attributes },
    });
    expect(deadLetters[0]!.attempts).toBeUndefined();
  });

  it('keeps a trigger fetch gave up on with the run it found, and an undecodable one with why', async () => {
    await h.runs.startRun('r-kept-trig', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 'kt', dates: ['2026-11-21'] });
    await h.deliver('notify', handleNotify, { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'manual', runId: 'r-kept-trig' }, { attributes: pubsubDeadLetter('fetch', 5) });
    const fetches = await kept.list({ pipeline: h.pipeline.name, stage: 'fetch' }, { limit: 10 });
    expect(fetches.deadLetters).toEqual([expect.objectContaining({ runId: 'r-kept-trig', reason: 'gave up after 5 attempts in fetch' })]);
    expect((await h.run('r-kept-trig'))?.status).toBe('failed');

    await h.deliver('notify', handleNotify, 'not json at all', { attributes: pubsubDeadLetter('load', 8) });
    const loads = await kept.list({ pipeline: h.pipeline.name, stage: 'load' }, { limit: 10 });
    expect(loads.deadLetters.find((d) => d.reason.includes('undecodable'))).toMatchObject({ reason: 'gave up after 8 attempts in load (undecodable: data is not a JSON object)', attempts: 8 });
  });
});
