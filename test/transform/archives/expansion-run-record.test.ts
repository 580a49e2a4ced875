// An archive's expansion on the real Firestore run record: the archive ends as 'expanded' and its
// members join the run's files to end in one transaction, so the run completes exactly once, when
// every member has ended too — also when transform expands the archive before fetch counted its files.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectRef, StagedMessage } from '../../../shared/messages';
import { fileKeyOf } from '../../../shared/object-names';
import { topicName } from '../../../shared/topology';
import { transformHandler } from '../../../functions/transform/handler';
import { summarizeRun, summaryText } from '../../../functions/notify/run-summary';
import { objectFinalizedMessage, stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../support/stage-test-context';
import { writeZip } from '../../support/zip-writer';

let world: StageTestWorld;
let harness: StageHarness;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'archives', bucket: true });
  const pipeline = testPipeline(world, {
    imports: [
      { name: 'items', match: '^Items', table: 'items' },
      { name: 'payments', match: '^Payments', table: 'payments' },
    ],
  });
  harness = await stageHarness(world, pipeline);
  // Transform publishes the members' staged files to load's topic.
  await world.clients.pubsub.topic(topicName(world.prefix, pipeline.name, 'load')).create();
});

afterAll(async () => {
  await harness?.close();
  await world?.stop();
});

async function upload(name: string, content: Buffer): Promise<ObjectRef> {
  const file = world.clients.storage.bucket(world.bucket).file(name);
  await file.save(content, { resumable: false });
  return { bucket: world.bucket, object: name, generation: String(file.metadata.generation) };
}

async function deliverObject(ref: ObjectRef): Promise<void> {
  const message = objectFinalizedMessage(ref, 0);
  await harness.deliver('transform', transformHandler, message.data.toString('utf8'), { attributes: message.attributes });
}

async function rawMembers(runId: string): Promise<ObjectRef[]> {
  return (await harness.rawObjects())
    .filter((o) => o.name.includes(`/${runId}/`))
    .map((o) => ({ bucket: world.bucket, object: o.name, generation: o.generation }));
}

describe('an expanded archive on the run record', () => {
  it('counts its members as files of the run; the run ends once, when the last member ends', async () => {
    const p = harness.pipeline.name;
    const runId = 'run-zip';
    const zipPath = '20261121/export.zip';
    await harness.startRun(runId, [{ fileKey: fileKeyOf(zipPath), name: zipPath }], 'transform');
    const zip = writeZip([{ name: 'Items.csv', data: 'a,b\n1,2\n' }, { name: 'Payments.csv', data: 'c\n3\n' }, { name: 'notes.txt', data: 'x' }]);
    const raw = await upload(`raw/${p}/${runId}/${zipPath}`, zip);
    await deliverObject(raw);

    const expected = { expectedFiles: 1, addedFiles: 3, endedFiles: 1, counts: { expanded: 1, loaded: 0, quarantined: 0 }, status: 'running' };
    expect(await harness.run(runId)).toMatchObject(expected);
    const members = ['Items.csv', 'Payments.csv', 'notes.txt'].map((m) => `${zipPath}/${m}`);
    expect((await harness.files(runId)).find((f) => f.fileKey === fileKeyOf(zipPath))).toMatchObject({ status: 'expanded', members, stages: { transform: { endedAt: expect.any(String) } } });

    // Redelivered after the move, and as if the move had not happened: nothing added twice.
    const membersWritten = await rawMembers(runId);
    await deliverObject(raw);
    const bucket = world.clients.storage.bucket(world.bucket);
    await bucket.file(`archive/${p}/${runId}/${zipPath}`).copy(bucket.file(raw.object));
    const [restored] = await bucket.file(raw.object).getMetadata();
    await deliverObject({ ...raw, generation: String(restored.generation) });
    expect(await harness.run(runId)).toMatchObject(expected);
    expect(await rawMembers(runId)).toEqual(membersWritten);

    // The members' own transforms: two staged for load, one quarantined (no rule matches notes.txt).
    for (const member of membersWritten) await deliverObject(member);
    expect(await harness.run(runId)).toMatchObject({ endedFiles: 2, counts: { expanded: 1, quarantined: 1 }, status: 'running' });
    // Load ends the two staged members (as its handler does after the commit).
    const loadedKeys = (await harness.files(runId)).filter((f) => f.stages.transform?.endedAt && !f.status?.match(/expanded|quarantined/)).map((f) => f.fileKey);
    expect(loadedKeys.sort()).toEqual([fileKeyOf(members[0]!), fileKeyOf(members[1]!)].sort());
    for (const key of loadedKeys) await harness.context('load').finishFile(runId, key, 'loaded');

    const events = await harness.waitForEvents(1);
    expect(events).toEqual([{ v: 1, type: 'sluice.run-complete', pipeline: p, runId }]);
    const run = await harness.run(runId);
    expect(run).toMatchObject({ expectedFiles: 1, addedFiles: 3, endedFiles: 4, counts: { expanded: 1, loaded: 2, quarantined: 1 }, status: 'partial', completedAt: expect.any(String) });
    expect(summaryText(summarizeRun(run!, await harness.files(runId)))).toContain('Files: 2 loaded, 0 skipped, 1 quarantined, 0 failed (1 archive(s) expanded into their members).');
  });

  it('expanded before fetch counted its files: the run waits for the members all the same', async () => {
    const p = harness.pipeline.name;
    const runId = 'run-gz-early';
    await harness.runs.startRun(runId, { pipeline: p, trigger: 'manual', messageId: 'm', dates: ['2026-11-21'] });
    const raw = await upload(`raw/${p}/${runId}/Items.csv.gz`, gzipSync('a\n1\n'));
    await deliverObject(raw);
    expect(await harness.run(runId)).toMatchObject({ expectedFiles: null, addedFiles: 1, endedFiles: 1 });
    // Fetch counts the one file it fetched (the archive), which has already ended: not complete.
    expect(await harness.runs.setExpectedFiles(runId, 1)).toEqual({ runComplete: false });

    const [member] = await rawMembers(runId);
    await deliverObject(member!);
    const staged = (await harness.files(runId)).find((f) => f.name === 'Items.csv.gz/Items.csv');
    expect(staged?.stages.transform?.endedAt).toEqual(expect.any(String));
    expect(await harness.runs.finishFile(runId, staged!.fileKey, 'loaded')).toEqual({ runComplete: true });
    expect(await harness.run(runId)).toMatchObject({ endedFiles: 2, counts: { expanded: 1, loaded: 1 }, status: 'succeeded' });
  });
});
