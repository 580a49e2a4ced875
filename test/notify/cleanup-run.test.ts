// The run's end removes the staged objects its transform attempts left behind (a killed attempt, a
// racing redelivery), found from the tokens recorded on the run, not by listing; files still in flight
// keep theirs, and a file whose load failed keeps the staged data its published message names (a rerun
// from load reuses it). Real Firestore and Cloud Storage emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { STAGED_MESSAGE_DETAIL } from '../../functions/runtime/staged-for-rerun';
import type { StagedMessage } from '../../shared/messages';
import { objectName, stagedDataName, stagedSchemaName } from '../../shared/object-names';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;
let h: StageHarness;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'cln', bucket: true, database: true, smtp: true });
  h = await stageHarness(world, testPipeline(world));
});
afterAll(async () => {
  await h?.close();
  await world?.stop();
});

const exists = async (name: string) => (await world.clients.storage.bucket(world.bucket).file(name).exists())[0];
// A manual run of 2026-11-21 that expects one file.
const startOneFileRun = async (runId: string, messageId: string) => {
  await h.runs.startRun(runId, { pipeline: h.pipeline.name, trigger: 'manual', messageId, dates: ['2026-11-21'] });
  await h.runs.setExpectedFiles(runId, 1);
};
const put = (name: string) => world.clients.storage.bucket(world.bucket).file(name).save('x', { resumable: false });

describe('run cleanup', () => {
  it('deletes the staged objects of ended files on run-complete', async () => {
    const runId = 'r-orphans';
    const path = '20261121/Items-A.csv';
    const location = { pipeline: h.pipeline.name, runId, path };
    const before = h.events.length;
    await startOneFileRun(runId, 't');
    // Two transform attempts: the first was killed after writing its CSV, the second wrote both.
    await h.runs.stageStarted(runId, 'fa', 'transform', { name: path, stagedToken: 'aaaaaaaaaaaa' });
    await h.runs.stageStarted(runId, 'fa', 'transform', { name: path, stagedToken: 'bbbbbbbbbbbb' });
    const leftovers = [stagedDataName(location, 'aaaaaaaaaaaa'), stagedDataName(location, 'bbbbbbbbbbbb'), stagedSchemaName(location, 'bbbbbbbbbbbb')];
    for (const name of leftovers) await put(name);
    await h.context('aggregate').finishFile(runId, 'fa', 'loaded', { stage: 'aggregate' });
    const event = (await h.waitForEvents(before + 1))[before]!;

    await h.deliver('notify', handleNotify, event);
    for (const name of leftovers) expect(await exists(name)).toBe(false);
    expect((await h.run(runId))?.notifications?.doneAt).toBeTruthy();
    // Redelivered: nothing left to remove, nothing fails.
    await h.deliver('notify', handleNotify, event);
  });

  it('keeps the staged objects of files still in flight when the run fails as a whole', async () => {
    const runId = 'r-failed-midway';
    const location = { pipeline: h.pipeline.name, runId, path: '20261121/Items-B.csv' };
    const before = h.events.length;
    await startOneFileRun(runId, 't2');
    await h.runs.stageStarted(runId, 'fb', 'transform', { name: location.path, stagedToken: 'cccccccccccc' });
    await put(stagedDataName(location, 'cccccccccccc'));
    await h.context('notify').failRun(runId, 'stalled: test');
    const event = (await h.waitForEvents(before + 1))[before]!;
    await h.deliver('notify', handleNotify, event);
    expect(await exists(stagedDataName(location, 'cccccccccccc'))).toBe(true);
  });

  it('keeps the staged data of the published attempt of a file whose load failed, and removes the other attempts\'', async () => {
    const runId = 'r-load-failed';
    const path = '20261121/Items-C.csv';
    const location = { pipeline: h.pipeline.name, runId, path };
    const before = h.events.length;
    await startOneFileRun(runId, 't3');
    await h.runs.stageStarted(runId, 'fc', 'transform', { name: path, stagedToken: 'dddddddddddd' });
    await h.runs.stageStarted(runId, 'fc', 'transform', { name: path, stagedToken: 'eeeeeeeeeeee' });
    const stale = stagedDataName(location, 'dddddddddddd');
    const kept = [stagedDataName(location, 'eeeeeeeeeeee'), stagedSchemaName(location, 'eeeeeeeeeeee')];
    for (const name of [stale, ...kept]) await put(name);
    const published: StagedMessage = {
      v: 1, type: 'sluice.staged', pipeline: h.pipeline.name, runId, fileKey: 'fc',
      raw: { bucket: world.bucket, object: objectName('raw', location), generation: '1' },
      staged: { bucket: world.bucket, object: kept[0]!, generation: '1' }, schemaObject: kept[1]!,
      rule: 'items', table: 'items', rows: 2,
    };
    await h.runs.stageSucceeded(runId, 'fc', 'transform', { rows: 2, details: { [STAGED_MESSAGE_DETAIL]: published } });
    await h.context('load').finishFile(runId, 'fc', 'failed', { stage: 'load', error: 'gave up after 8 attempts in load' });
    const event = (await h.waitForEvents(before + 1))[before]!;

    await h.deliver('notify', handleNotify, event);
    expect(await exists(stale)).toBe(false);
    for (const name of kept) expect(await exists(name)).toBe(true);
  });
});
