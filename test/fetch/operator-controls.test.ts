// Fetch's side of the operator controls, on the real SFTP server, Cloud Storage and Firestore: a
// paused pipeline's scheduled trigger is recorded as a paused run and fetches nothing while an
// operator's trigger still runs; a dry run lists and claims nothing (and a redelivery of it changes
// nothing); a run cancelled before it listed claims and copies nothing and ends cancelled.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOfRun } from '../../functions/fetch/fetch-ledger';
import { createFetchHandler } from '../../functions/fetch/handler';
import { runIdFor } from '../../functions/fetch/run-id';
import { createFirestorePipelineStateStore } from '../../functions/runtime/firestore-pipeline-state-store';
import { FETCH_LEDGER_COLLECTION } from '../../functions/runtime/run-record';
import type { StageContext, StageHandler } from '../../functions/runtime/context';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

const NOW = new Date('2026-03-02T12:00:00Z');
const DATE_DIRS = ['20260227', '20260228', '20260301'];
const NAMES = ['OrderDetails.csv', 'PaymentDetails.csv'];
const PASSWORD = 'vendor-pass-Ops41';
const handler = createFetchHandler({ now: () => NOW });
const publishTimeOf = (messageId: string) => new Date(Date.parse('2026-03-02T11:00:00.123Z') + Number(messageId) * 1000).toISOString();

let world: StageTestWorld;
const harnesses: StageHarness[] = [];

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'fetch-ops', bucket: true, sftpUsers: [{ username: 'vendor', password: PASSWORD }], secrets: { 'vendor-password': PASSWORD } });
});
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await world?.stop();
});

async function setup(): Promise<StageHarness> {
  const name = world.uniqueName('p');
  const pipeline = testPipeline(world, {
    name,
    schedule: { cron: '0 6 * * *', timeZone: 'America/New_York' },
    source: {
      kind: 'sftp', host: world.sftp.host, port: world.sftp.port, username: 'vendor', password: { secret: 'vendor-password' },
      hostKeyFingerprint: world.sftp.hostKeyFingerprint, path: '/exports/{exportId}/{yyyyMMdd}/', params: { exportId: name },
      glob: '*.csv', dateOffsetDays: -1, lookbackDays: 3,
    } as PipelineInput['source'],
    imports: [{ name: 'all', match: '.*', table: 'rows' }],
  });
  for (const dir of DATE_DIRS) {
    for (const file of NAMES) {
      const local = path.join(world.root, `/exports/${name}/${dir}/${file}`);
      await mkdir(path.dirname(local), { recursive: true });
      await writeFile(local, `id,amount\n${dir},${file}\n`);
      await utimes(local, new Date('2026-03-01T05:00:00Z'), new Date('2026-03-01T05:00:00Z'));
    }
  }
  const harness = await stageHarness(world, pipeline);
  harnesses.push(harness);
  return harness;
}

const trigger = (pipeline: Pipeline, extra: Record<string, unknown> = {}) => ({ v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'schedule', ...extra });
const ledgerOf = async (pipeline: Pipeline) => (await world.clients.firestore.collection(FETCH_LEDGER_COLLECTION).where('pipeline', '==', pipeline.name).get()).docs;
const deliverScheduled = async (h: StageHarness, messageId: string) => {
  const publishTime = publishTimeOf(messageId);
  await h.deliver('fetch', handler, trigger(h.pipeline), { messageId, publishTime });
  return runIdFor(trigger(h.pipeline) as never, { messageId, publishTime });
};

describe('fetch under the operator controls', () => {
  it('paused: a scheduled trigger is a paused run and fetches nothing; a manual one runs; resumed: the schedule runs again', async () => {
    const h = await setup();
    const states = createFirestorePipelineStateStore(world.clients.firestore, { now: () => NOW });
    await states.setPaused(h.pipeline.name, true, 'user:ana@example.com');

    const paused = await deliverScheduled(h, '1');
    expect(await h.run(paused)).toMatchObject({ status: 'paused', actor: 'scheduler', skippedReason: `pipeline paused by user:ana@example.com at ${NOW.toISOString()}` });
    expect(await ledgerOf(h.pipeline)).toHaveLength(0);
    expect(await h.rawObjects()).toHaveLength(0);
    // A redelivery of it is acknowledged as it is.
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '1', publishTime: publishTimeOf('1') });
    expect((await h.run(paused))?.status).toBe('paused');

    await h.deliver('fetch', handler, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-while-paused', actor: 'user:bo@example.com' }), { messageId: '2' });
    expect(await h.run('manual-while-paused')).toMatchObject({ status: 'running', actor: 'user:bo@example.com', expectedFiles: 6 });
    expect(await h.rawObjects()).toHaveLength(6);

    await states.setPaused(h.pipeline.name, false, 'user:ana@example.com');
    const resumed = await deliverScheduled(h, '3');
    expect(await h.run(resumed)).toMatchObject({ status: 'no-new-data', expectedFiles: 0 });
    expect((await h.files(resumed)).map((f) => f.status)).toEqual(Array(6).fill('skipped'));
  }, 60_000);

  it('a dry run lists the window through the connector, claims and copies nothing, and ends', async () => {
    const h = await setup();
    await h.runs.queueRun('manual-dry', { pipeline: h.pipeline.name, trigger: 'manual', actor: 'dev', dryRun: true });
    const dry = trigger(h.pipeline, { trigger: 'manual', runId: 'manual-dry', actor: 'dev', dryRun: true });
    await h.deliver('fetch', handler, dry, { messageId: '10' });
    const run = await h.run('manual-dry');
    expect(run).toMatchObject({ status: 'no-new-data', expectedFiles: 0, actor: 'dev' });
    expect(run?.dryRun?.items.map((i) => i.name).sort()).toEqual(DATE_DIRS.flatMap((d) => NAMES.map((n) => `${d}/${n}`)).sort());
    expect(await ledgerOf(h.pipeline)).toHaveLength(0);
    expect(await h.rawObjects()).toHaveLength(0);
    expect(await h.waitForEvents(1)).toEqual([expect.objectContaining({ type: 'sluice.run-complete', runId: 'manual-dry' })]);
    await h.deliver('fetch', handler, dry, { messageId: '10' });
    expect((await h.run('manual-dry'))?.dryRun?.listedAt).toBe(run?.dryRun?.listedAt);

    // Nothing was claimed: a normal run fetches every file.
    await h.deliver('fetch', handler, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-real' }), { messageId: '11' });
    expect((await h.run('manual-real'))?.expectedFiles).toBe(6);
  }, 60_000);

  it('a run cancelled before it listed claims and copies nothing and ends cancelled', async () => {
    const h = await setup();
    await h.runs.startRun('manual-cancelled', { pipeline: h.pipeline.name, trigger: 'manual', messageId: '20', dates: ['2026-03-01'] });
    expect((await h.runs.requestCancel('manual-cancelled', 'user:ana@example.com'))?.status).toBe('cancelling');
    await h.deliver('fetch', handler, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-cancelled' }), { messageId: '20' });
    expect(await h.run('manual-cancelled')).toMatchObject({ status: 'cancelled', expectedFiles: 0 });
    expect(await claimsOfRun(world.clients.firestore, h.pipeline.name, 'manual-cancelled')).toEqual([]);
    expect(await h.rawObjects()).toHaveLength(0);
  }, 60_000);

  it('cancelled while fetch copies: the file being copied is the run\'s, nothing more is claimed, a later run fetches the rest', async () => {
    const h = await setup();
    // The operator's cancel arrives just as fetch finished copying its first file.
    const cancelAfterFirstCopy: StageHandler = (ctx: StageContext, message) => {
      const runs = { ...ctx.runs };
      let asked = false;
      runs.stageSucceeded = async (runId, fileKey, stage, report) => {
        await ctx.runs.stageSucceeded(runId, fileKey, stage, report);
        if (!asked) {
          asked = true;
          await ctx.runs.requestCancel(runId, 'user:ana@example.com');
        }
      };
      return handler({ ...ctx, runs }, message);
    };
    await h.deliver('fetch', cancelAfterFirstCopy, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-cut' }), { messageId: '30' });
    expect(await h.run('manual-cut')).toMatchObject({ status: 'cancelling', expectedFiles: 1 });
    expect(await claimsOfRun(world.clients.firestore, h.pipeline.name, 'manual-cut')).toHaveLength(1);
    expect(await h.rawObjects()).toHaveLength(1);
    // A redelivery of its trigger only re-announces the one file.
    await h.deliver('fetch', handler, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-cut' }), { messageId: '30' });
    expect((await h.run('manual-cut'))?.expectedFiles).toBe(1);

    await h.deliver('fetch', handler, trigger(h.pipeline, { trigger: 'manual', runId: 'manual-next' }), { messageId: '31' });
    expect((await h.run('manual-next'))?.expectedFiles).toBe(5);
  }, 60_000);
});
