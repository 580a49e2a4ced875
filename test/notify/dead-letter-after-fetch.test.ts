// A trigger dead-lettered after its run's fetch had already finished (the chaos fault "acks lost":
// Pub/Sub redelivers a handled message until it gives up on it) must not fail the run or alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { deadLetterAttributes } from '../support/dead-letter-attributes';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;
let h: StageHarness;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'dlf', smtp: true });
  h = await stageHarness(world, testPipeline(world, {}));
});

afterAll(async () => {
  await h?.close();
  await world?.stop();
});

const deadLetter = (attempts: number) => deadLetterAttributes(world, h.pipeline.name, 'fetch', attempts);

describe('notify: a dead-lettered trigger of a run fetch already counted', () => {
  it('leaves a completed run succeeded and sends no alert', async () => {
    const outboxBefore = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-acked', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 'a1', dates: ['2026-11-21'] });
    await h.context('fetch').setExpectedFiles('r-acked', 0);
    const before = await h.run('r-acked');
    expect(before?.completedAt).toBeTruthy();
    await h.deliver('notify', handleNotify, { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'manual', runId: 'r-acked' }, { attributes: deadLetter(5) });
    const after = await h.run('r-acked');
    expect(after?.status).toBe(before?.status);
    expect(after?.error).toBeUndefined();
    // Only the run-complete event setExpectedFiles published; no run-failed.
    expect(h.events.slice(eventsBefore).map((e) => e.type)).not.toContain('sluice.run-failed');
    expect((await world.outbox()).length).toBe(outboxBefore);
  });

  it('still fails a run whose fetch never finished listing', async () => {
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-stuck', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 'a2', dates: ['2026-11-21'] });
    await h.deliver('notify', handleNotify, { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'manual', runId: 'r-stuck' }, { attributes: deadLetter(5) });
    // Events arrive in any order (the first test's run-complete may land after eventsBefore was read).
    let event: Record<string, unknown> | undefined;
    for (let n = eventsBefore + 1; !event; n++) event = (await h.waitForEvents(n)).slice(eventsBefore).find((e) => e.runId === 'r-stuck');
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: 'r-stuck', stage: 'fetch' });
  });
});
