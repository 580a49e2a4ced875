// The fetch stage against real parts: an SFTP server on loopback, the GCS and Firestore emulators
// with the real clients, the runtime's StageContext and Firestore RunRecorder.
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { FieldValue } from '@google-cloud/firestore';
import { copyToRaw } from '../../functions/fetch/copy-to-raw';
import { createFetchHandler } from '../../functions/fetch/handler';
import { parseTrigger } from '../../functions/fetch/parse-trigger';
import { runIdFor } from '../../functions/fetch/run-id';
import { connectSource } from '../../functions/fetch/sources/sftp/connection';
import { runDocument } from '../../functions/runtime/firestore-run-store';
import { FETCH_LEDGER_COLLECTION } from '../../functions/runtime/run-record';
import type { StageContext, StageHandler } from '../../functions/runtime/context';
import { freePort } from '../../emulator/free-port';
import { InvalidMessageError, TransientError } from '../../shared/errors';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { generateUserKeyPair } from '../../emulator/sftp-server';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

// 12:00 UTC on 2 March: 2 March in New York; offset -1 and lookback 3 → 27 Feb, 28 Feb, 1 Mar.
const NOW = new Date('2026-03-02T12:00:00Z');
const DATE_DIRS = ['20260227', '20260228', '20260301'];
const NAMES = ['OrderDetails.csv', 'PaymentDetails.csv'];
const handler = createFetchHandler({ now: () => NOW });
// Run ids come from the trigger's payload and publish second (functions/fetch/run-id.ts). Every
// trigger message of these tests gets a publish second of its own, kept by its redeliveries, as
// Pub/Sub would give; runOf names the run of a message delivered before.
const runs = new Map<string, string>();
const runOf = (messageId: string): string => {
  const runId = runs.get(messageId);
  if (runId === undefined) throw new Error(`no trigger ${messageId} was delivered`);
  return runId;
};
const publishTimeOf = (messageId: string) => new Date(Date.parse('2026-03-02T11:00:00.123Z') + Number(messageId) * 1000).toISOString();

const SFTP_PASSWORD = 'vendor-pass-Zq81x';
const USER_KEYS = generateUserKeyPair('sluice-fetch-test');
// The runs' trigger time: run ids are derived from it.
const PUBLISH_TIME = '2026-03-02T11:00:00.123Z';

let world: StageTestWorld;
const harnesses: StageHarness[] = [];

beforeAll(async () => {
  world = await startStageTestWorld({
    label: 'fetch',
    bucket: true,
    sftpUsers: [{ username: 'vendor', password: SFTP_PASSWORD }, { username: 'keyed', publicKey: USER_KEYS.publicKey }],
    secrets: { 'vendor-password': SFTP_PASSWORD, 'vendor-key': USER_KEYS.privateKey, 'wrong-password': 'not-the-password' },
  });
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  if (process.env.FETCH_TEST_LOG) (await import('node:fs')).writeFileSync(process.env.FETCH_TEST_LOG, world.logLines.join('\n'));
  await world?.stop();
});

const sha256Of = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function contentOf(pipeline: Pipeline, dir: string, name: string): string {
  return `id,amount\n${pipeline.name},${dir},${name}\n`;
}

// Three days of export, plus files the glob or the "regular files only" rule must leave alone.
async function writeExport(pipeline: Pipeline, dirs = DATE_DIRS): Promise<void> {
  const base = `/exports/${pipeline.name}`;
  for (const dir of dirs) {
    for (const name of NAMES) await writeExportFile(`${base}/${dir}/${name}`, contentOf(pipeline, dir, name));
    await writeExportFile(`${base}/${dir}/notes.txt`, 'not a csv');
    await writeExportFile(`${base}/${dir}/.partial.csv`, 'an upload in progress');
    await writeExportFile(`${base}/${dir}/archive.csv/inner.csv`, 'a directory named like a csv');
  }
}

// A pipeline reading /exports/<its name>/<yyyyMMdd>/ from the world's SFTP server.
async function setup(source: Partial<PipelineInput['source']> = {}): Promise<StageHarness> {
  const name = world.uniqueName('p');
  const pipeline = testPipeline(world, {
    name,
    schedule: { cron: '0 6 * * *', timeZone: 'America/New_York' },
    source: {
      kind: 'sftp', host: world.sftp.host, port: world.sftp.port, username: 'vendor', password: { secret: 'vendor-password' },
      hostKeyFingerprint: world.sftp.hostKeyFingerprint, path: '/exports/{exportId}/{yyyyMMdd}/', params: { exportId: name },
      glob: '*.csv', dateOffsetDays: -1, lookbackDays: 3,
      ...source,
    } as PipelineInput['source'],
    imports: [{ name: 'all', match: '.*', table: 'rows' }],
  });
  const harness = await stageHarness(world, pipeline, { publishTime: PUBLISH_TIME });
  harnesses.push(harness);
  const deliver = harness.deliver.bind(harness);
  harness.deliver = async (stage, stageHandler, data, d = {}) => {
    const publishTime = d.messageId !== undefined && /^\d+$/.test(d.messageId) ? publishTimeOf(d.messageId) : undefined;
    try {
      if (d.messageId) runs.set(d.messageId, runIdFor(parseTrigger(Buffer.from(JSON.stringify(data))), { messageId: d.messageId, ...(publishTime ? { publishTime } : {}) }));
    } catch {
      // Not a trigger: the handler refuses it.
    }
    return deliver(stage, stageHandler, data, { ...(publishTime ? { publishTime } : {}), ...d });
  };
  return harness;
}

// Writes one export file with a fixed mtime (identity includes it) under the served root.
async function writeExportFile(remotePath: string, content: string | Buffer, mtime = new Date('2026-03-01T05:00:00Z')): Promise<void> {
  const local = path.join(world.root, remotePath);
  await mkdir(path.dirname(local), { recursive: true });
  await writeFile(local, content);
  await utimes(local, mtime, mtime);
}

function trigger(pipeline: Pipeline, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'schedule', ...extra };
}

async function ledgerOf(pipeline: Pipeline) {
  const snap = await world.clients.firestore.collection(FETCH_LEDGER_COLLECTION).where('pipeline', '==', pipeline.name).get();
  return snap.docs.map((doc) => doc.data());
}

// A handler whose run recorder fails once at `method`, as if the function died right there.
function dyingOnce(method: 'stageStarted' | 'stageSucceeded'): { handler: StageHandler; died: () => boolean } {
  let died = false;
  return {
    died: () => died,
    handler: (ctx: StageContext, message) => {
      const runs = { ...ctx.runs };
      const original = ctx.runs[method].bind(ctx.runs) as (...args: unknown[]) => Promise<void>;
      runs[method] = (async (...args: unknown[]) => {
        if (!died) {
          died = true;
          throw new Error(`instance died in ${method}`);
        }
        return original(...args);
      }) as never;
      return handler({ ...ctx, runs }, message);
    },
  };
}

// The state a fetch leaves when it dies right after its create-only upload, before markUploaded; then
// the pipeline moves each raw object on (load archives it, transform quarantines it). Returns the new names.
async function crashBeforeMarkUploadedThenMoveOn(pipeline: Pipeline, rawNames: string[], areas: Array<'archive' | 'quarantine'>): Promise<string[]> {
  const snap = await world.clients.firestore.collection(FETCH_LEDGER_COLLECTION).where('pipeline', '==', pipeline.name).get();
  await Promise.all(snap.docs.map((doc) => doc.ref.update({ uploadedAt: FieldValue.delete(), generation: FieldValue.delete() })));
  // A fetch that died there never told its run how many files it has (its last step).
  const owners = new Set(snap.docs.map((doc) => String(doc.get('runId'))));
  await Promise.all([...owners].map((runId) => runDocument(world.clients.firestore, runId).update({ expectedFiles: null })));
  const bucket = world.clients.storage.bucket(world.bucket);
  return Promise.all(rawNames.map(async (name, i) => {
    const target = name.replace(/^raw\//, `${areas[i]}/`);
    await bucket.file(name).copy(bucket.file(target));
    await bucket.file(name).delete();
    return target;
  }));
}

describe('fetch: copying an export', () => {
  it('copies three dates of files to raw with the right names, metadata and run record', async () => {
    const h = await setup();
    await writeExport(h.pipeline);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '1001' });

    const runId = runOf('1001');
    const objects = await h.rawObjects();
    expect(objects.map((o) => o.name)).toEqual(DATE_DIRS.flatMap((dir) => NAMES.map((name) => `raw/${h.pipeline.name}/${runId}/${dir}/${name}`)));
    const first = objects[0]!;
    const [data] = await world.clients.storage.bucket(world.bucket).file(first.name).download();
    expect(data.toString()).toBe(contentOf(h.pipeline, '20260227', 'OrderDetails.csv'));
    expect(first.metadata).toEqual({
      sluiceRunId: runId,
      sluiceSourcePath: `/exports/${h.pipeline.name}/20260227/OrderDetails.csv`,
      sluiceSourceSize: String(data.length),
      sluiceSourceMtime: '2026-03-01T05:00:00.000Z',
      sluiceSourceSha256: sha256Of(data),
    });
    const [meta] = await world.clients.storage.bucket(world.bucket).file(first.name).getMetadata();
    expect(meta.contentType).toBe('text/csv');

    const run = await h.runs.getRun(runId);
    expect(run).toMatchObject({ pipeline: h.pipeline.name, trigger: 'schedule', messageId: '1001', dates: ['2026-02-27', '2026-02-28', '2026-03-01'], expectedFiles: 6 });
    const files = await h.files(runId);
    expect(files.map((f) => f.name)).toEqual(DATE_DIRS.flatMap((dir) => NAMES.map((name) => `${dir}/${name}`)));
    for (const file of files) {
      expect(file.stages.fetch).toMatchObject({ attempts: 1 });
      expect(file.stages.fetch?.endedAt).toBeDefined();
      expect((file.stages.fetch?.details?.raw as { generation: string }).generation).toMatch(/^\d+$/);
    }
    expect((await ledgerOf(h.pipeline)).map((e) => e.runId)).toEqual(Array(6).fill(runId));
    expect(world.logLines.join('\n')).not.toContain(SFTP_PASSWORD);

    // A second trigger is a second run: it fetches nothing, records every file as skipped, and
    // completes at once (expected 0), so notify hears of it.
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '1002' });
    const second = runOf('1002');
    expect(await h.rawObjects()).toEqual(objects);
    const skipped = await h.files(second);
    expect(skipped).toHaveLength(6);
    for (const file of skipped) expect(file).toMatchObject({ status: 'skipped', skippedReason: `already fetched by run ${runId}` });
    expect(await h.runs.getRun(second)).toMatchObject({ expectedFiles: 0, status: 'no-new-data' });
    expect(await h.waitForEvents(1)).toEqual([{ v: 1, type: 'sluice.run-complete', pipeline: h.pipeline.name, runId: second }]);
  });

  it('uploads each file once when the same trigger is delivered twice, one after the other and at once', async () => {
    const h = await setup();
    await writeExport(h.pipeline);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '2001' });
    const once = await h.rawObjects();
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '2001', deliveryAttempt: 2 });
    expect(await h.rawObjects()).toEqual(once); // same names, same generations
    expect(await h.runs.getRun(runOf('2001'))).toMatchObject({ expectedFiles: 6 });

    const c = await setup();
    await writeExport(c.pipeline);
    const data = trigger(c.pipeline);
    await Promise.all([c.deliver('fetch', handler, data, { messageId: '2002' }), c.deliver('fetch', handler, data, { messageId: '2002' })]);
    const objects = await c.rawObjects();
    expect(objects).toHaveLength(6);
    expect(await c.runs.getRun(runOf('2002'))).toMatchObject({ expectedFiles: 6 });
    expect((await ledgerOf(c.pipeline)).every((e) => e.runId === runOf('2002') && typeof e.uploadedAt === 'string')).toBe(true);
  });

  it('resumes after dying between claim and upload, and after dying between upload and bookkeeping', async () => {
    const h = await setup();
    await writeExport(h.pipeline);
    const beforeUpload = dyingOnce('stageStarted');
    await expect(h.deliver('fetch', beforeUpload.handler, trigger(h.pipeline), { messageId: '3001' })).rejects.toThrow(/died/);
    expect(await h.rawObjects()).toHaveLength(0);
    expect(await ledgerOf(h.pipeline)).toHaveLength(1); // claimed, not uploaded
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '3001', deliveryAttempt: 2 });
    expect(await h.rawObjects()).toHaveLength(6);
    expect(await h.runs.getRun(runOf('3001'))).toMatchObject({ expectedFiles: 6 });

    const g = await setup();
    await writeExport(g.pipeline);
    const afterUpload = dyingOnce('stageSucceeded');
    await expect(g.deliver('fetch', afterUpload.handler, trigger(g.pipeline), { messageId: '3002' })).rejects.toThrow(/died/);
    const uploaded = await g.rawObjects();
    expect(uploaded).toHaveLength(1);
    await g.deliver('fetch', handler, trigger(g.pipeline), { messageId: '3002', deliveryAttempt: 2 });
    const all = await g.rawObjects();
    expect(all).toHaveLength(6);
    expect(all.find((o) => o.name === uploaded[0]!.name)).toEqual(uploaded[0]); // not written again
    expect(await g.runs.getRun(runOf('3002'))).toMatchObject({ expectedFiles: 6 });
  });

  it('lets a later run take over a claim its dead-lettered owner never uploaded, exactly once', async () => {
    const h = await setup();
    await writeExport(h.pipeline);
    const dead = dyingOnce('stageStarted');
    await expect(h.deliver('fetch', dead.handler, trigger(h.pipeline), { messageId: '4001' })).rejects.toThrow(/died/);
    // A minute later, with a threshold the dead run's claim is past.
    const impatient = createFetchHandler({ now: () => new Date(NOW.getTime() + 60_000), staleClaimAfterMs: 30_000 });
    await h.deliver('fetch', impatient, trigger(h.pipeline), { messageId: '4002' });
    const objects = await h.rawObjects();
    expect(objects).toHaveLength(6);
    expect(objects.every((o) => o.name.includes(runOf('4002')))).toBe(true);
    expect(await h.runs.getRun(runOf('4002'))).toMatchObject({ expectedFiles: 6 });
    // The old run coming back finds every file taken.
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '4001', deliveryAttempt: 5 });
    expect(await h.rawObjects()).toEqual(objects);
    expect(await h.runs.getRun(runOf('4001'))).toMatchObject({ expectedFiles: 0 });
  });

  // A fetch that died between its create-only upload and markUploaded, after which load archived (or
  // transform quarantined) the raw object: the claim must still count as fetched, for a later run past
  // the stale threshold as for a redelivery of the owner.
  it('never fetches again a file whose unrecorded upload was moved on to archive/ or quarantine/', async () => {
    const h = await setup();
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '4101' });
    const owner = runOf('4101');
    const copied = await h.rawObjects();
    expect(copied).toHaveLength(2);
    const moved = await crashBeforeMarkUploadedThenMoveOn(h.pipeline, copied.map((o) => o.name), ['archive', 'quarantine']);

    const impatient = createFetchHandler({ now: () => new Date(NOW.getTime() + 60_000), staleClaimAfterMs: 30_000 });
    await h.deliver('fetch', impatient, trigger(h.pipeline), { messageId: '4102' });
    expect(await h.rawObjects()).toEqual([]);
    expect(await h.runs.getRun(runOf('4102'))).toMatchObject({ expectedFiles: 0, status: 'no-new-data' });
    for (const file of await h.files(runOf('4102'))) expect(file).toMatchObject({ status: 'skipped', skippedReason: `already fetched by run ${owner}` });
    const ledger = await ledgerOf(h.pipeline);
    expect(ledger.map((e) => [e.runId, typeof e.uploadedAt, e.seenAs]).sort()).toEqual(moved.map((name) => [owner, 'string', name]).sort());

    // The owner's own redelivery, with the same state: nothing copied again, the claim settled.
    const g = await setup();
    await writeExport(g.pipeline, ['20260301']);
    await g.deliver('fetch', handler, trigger(g.pipeline), { messageId: '4103' });
    const gMoved = await crashBeforeMarkUploadedThenMoveOn(g.pipeline, (await g.rawObjects()).map((o) => o.name), ['archive', 'archive']);
    await g.deliver('fetch', handler, trigger(g.pipeline), { messageId: '4103', deliveryAttempt: 2 });
    expect(await g.rawObjects()).toEqual([]);
    expect(await g.runs.getRun(runOf('4103'))).toMatchObject({ expectedFiles: 2 });
    expect((await ledgerOf(g.pipeline)).map((e) => e.seenAs).sort()).toEqual([...gMoved].sort());
  });

  it('keeps the copied version when the source file changes between deliveries, and leaves the new one for the next run', async () => {
    const h = await setup();
    await writeExport(h.pipeline, ['20260301']);
    const afterUpload = dyingOnce('stageSucceeded');
    await expect(h.deliver('fetch', afterUpload.handler, trigger(h.pipeline), { messageId: '5001' })).rejects.toThrow(/died/);
    const path = `/exports/${h.pipeline.name}/20260301/OrderDetails.csv`;
    await writeExportFile(path, 'id,amount\nre-exported\n', new Date('2026-03-01T09:00:00Z'));
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5001', deliveryAttempt: 2 });
    expect(await h.runs.getRun(runOf('5001'))).toMatchObject({ expectedFiles: 2 });
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5002' });
    const objects = await h.rawObjects();
    expect(objects.map((o) => o.name)).toEqual([
      `raw/${h.pipeline.name}/${runOf('5001')}/20260301/OrderDetails.csv`,
      `raw/${h.pipeline.name}/${runOf('5001')}/20260301/PaymentDetails.csv`,
      `raw/${h.pipeline.name}/${runOf('5002')}/20260301/OrderDetails.csv`,
    ]);
    expect(objects[2]!.metadata.sluiceSourceMtime).toBe('2026-03-01T09:00:00.000Z');
    expect(await h.runs.getRun(runOf('5002'))).toMatchObject({ expectedFiles: 1 });
  });

  it('a late redelivery of a trigger whose run already listed its files claims nothing new: the next run gets the re-export', async () => {
    const h = await setup();
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5051' });
    // The vendor re-sends a file; then the first trigger comes again (its ack was lost), then a new one.
    const path = `/exports/${h.pipeline.name}/20260301/OrderDetails.csv`;
    await writeExportFile(path, 'id,amount\nre-exported\n', new Date('2026-03-01T09:30:00Z'));
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5051', deliveryAttempt: 2 });
    expect((await h.rawObjects()).map((o) => o.name)).toHaveLength(2);
    expect(await h.runs.getRun(runOf('5051'))).toMatchObject({ expectedFiles: 2 });
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5052' });
    expect((await h.rawObjects()).map((o) => o.name)).toContain(`raw/${h.pipeline.name}/${runOf('5052')}/20260301/OrderDetails.csv`);
    expect(await h.runs.getRun(runOf('5052'))).toMatchObject({ expectedFiles: 1 });
  });

  // SFTP gives whole seconds: a vendor rewriting a file within the same second, or restoring its
  // mtime, with the same length, leaves size and mtime as they were.
  it.each([
    ['metadata', 'skipped'],
    ['content', 'fetched as a new version'],
  ] as const)('an edit keeping size and mtime, with changeDetection %s: %s', async (mode, _outcome) => {
    // Run ids are global to the project: each mode's triggers are messages of their own.
    const [first, next] = mode === 'metadata' ? ['5101', '5102'] : ['5111', '5112'];
    const h = await setup({ changeDetection: mode });
    const remote = `/exports/${h.pipeline.name}/20260301/OrderDetails.csv`;
    await writeExportFile(remote, 'id,amount\nA-1,10.50\n');
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: first });
    await writeExportFile(remote, 'id,amount\nA-1,10.60\n');
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: next });
    // A redelivery of the second trigger changes nothing (content mode re-hashes and finds its claim).
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: next, deliveryAttempt: 2 });

    const objects = await h.rawObjects();
    const [second] = await h.files(runOf(next));
    if (mode === 'metadata') {
      expect(objects.map((o) => o.name)).toEqual([`raw/${h.pipeline.name}/${runOf(first)}/20260301/OrderDetails.csv`]);
      expect(second).toMatchObject({ status: 'skipped', skippedReason: `already fetched by run ${runOf(first)}` });
      expect(await h.runs.getRun(runOf(next))).toMatchObject({ expectedFiles: 0 });
    } else {
      expect(objects.map((o) => [o.name, o.metadata.sluiceSourceSha256])).toEqual([
        [`raw/${h.pipeline.name}/${runOf(first)}/20260301/OrderDetails.csv`, sha256Of('id,amount\nA-1,10.50\n')],
        [`raw/${h.pipeline.name}/${runOf(next)}/20260301/OrderDetails.csv`, sha256Of('id,amount\nA-1,10.60\n')],
      ]);
      expect(second?.stages.fetch?.details).toMatchObject({ sha256: sha256Of('id,amount\nA-1,10.60\n') });
      expect(await h.runs.getRun(runOf(next))).toMatchObject({ expectedFiles: 1 });
      expect((await ledgerOf(h.pipeline)).map((e) => e.sha256).sort()).toEqual([sha256Of('id,amount\nA-1,10.50\n'), sha256Of('id,amount\nA-1,10.60\n')].sort());
    }
  });

  it('with changeDetection content, a file touched without a change is not fetched again', async () => {
    const h = await setup({ changeDetection: 'content' });
    const remote = `/exports/${h.pipeline.name}/20260301/OrderDetails.csv`;
    await writeExportFile(remote, 'id,amount\nA-1,10.50\n');
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5201' });
    await writeExportFile(remote, 'id,amount\nA-1,10.50\n', new Date('2026-03-01T07:00:00Z'));
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '5202' });
    expect(await h.rawObjects()).toHaveLength(1);
    expect(await h.runs.getRun(runOf('5202'))).toMatchObject({ expectedFiles: 0 });
  });

  it('streams a file above the resumable threshold once, byte for byte', async () => {
    const h = await setup();
    const big = Buffer.alloc(9 * 1024 * 1024 + 17, 'abcdefgh,');
    await writeExportFile(`/exports/${h.pipeline.name}/20260301/Big.csv`, big);
    const started = Date.now();
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '6001' });
    const copyMs = Date.now() - started;
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '6001', deliveryAttempt: 2 });
    const objects = await h.rawObjects();
    expect(objects).toHaveLength(1);
    expect(objects[0]!.size).toBe(big.length);
    const [data] = await world.clients.storage.bucket(world.bucket).file(objects[0]!.name).download();
    expect(data.equals(big)).toBe(true);
    expect(objects[0]!.metadata.sluiceSourceSha256).toBe(sha256Of(big));
    console.log(`9 MiB SFTP → GCS (resumable) fetch: ${copyMs} ms`);
  });

  it('notes a missing date directory and fetches the other days', async () => {
    const h = await setup();
    await writeExport(h.pipeline, ['20260227', '20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '7001' });
    expect(await h.rawObjects()).toHaveLength(4);
    expect(await h.runs.getRun(runOf('7001'))).toMatchObject({ expectedFiles: 4 });
    const line = world.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'no export for date' && l.runId === runOf('7001'));
    expect(line).toMatchObject({ severity: 'WARNING', date: '2026-02-28' });
    // Said on the run (and so in its report), not only in the log.
    expect((await h.runs.getRun(runOf('7001')))?.warnings).toEqual([`no export for 2026-02-28: the directory /exports/${h.pipeline.name}/20260228/ does not exist on the SFTP server`]);
  });

  it('warns of an export date whose directory holds no matching file, once however often the trigger comes', async () => {
    const h = await setup();
    await writeExport(h.pipeline, ['20260227', '20260228']);
    await writeExportFile(`/exports/${h.pipeline.name}/20260301/notes.txt`, 'not a csv');
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '7002' });
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '7002', deliveryAttempt: 2 });
    expect((await h.runs.getRun(runOf('7002')))?.warnings).toEqual([`no export for 2026-03-01: the directory /exports/${h.pipeline.name}/20260301/ holds no file matching "*.csv"`]);
  });
});

describe('fetch: copying one file', () => {
  // A source that delivers a different number of bytes than its listing said (still being written,
  // cut short) must not leave an object behind: the upload is aborted before it is finalized.
  it.each([
    ['short, simple upload', 1000, 600],
    ['grown, simple upload', 1000, 1400],
    ['short, resumable upload', 9 * 1024 * 1024, 9 * 1024 * 1024 - 1],
  ])('finalizes no object for a %s', async (_label, listed, actual) => {
    const bucket = world.clients.storage.bucket(world.bucket);
    const objectName = `raw/unit/${actual}-${listed}/file.csv`;
    const copy = copyToRaw({
      bucket,
      objectName,
      stamp: { runId: 'r', sourcePath: '/x/file.csv', size: listed, mtimeMs: 0 },
      open: () => Readable.from((function* () {
        for (let sent = 0; sent < actual; sent += 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, actual - sent), 'x');
      })()),
    });
    await expect(copy).rejects.toThrow(TransientError);
    const [exists] = await bucket.file(objectName).exists();
    expect(exists).toBe(false);
  });
});

describe('fetch: the source connection', () => {
  it('logs in with a private key', async () => {
    const h = await setup({ username: 'keyed', password: undefined, privateKey: { secret: 'vendor-key' } });
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8001' });
    expect(await h.rawObjects()).toHaveLength(2);
    const logs = world.logLines.join('\n');
    expect(logs).not.toContain(USER_KEYS.privateKey.split('\n')[1]!);
  });

  it('connects where the local-cloud override says, pinning its key', async () => {
    const h = await setup({ host: 'sftp.vendor.invalid', port: 22, hostKeyFingerprint: 'SHA256:' + 'A'.repeat(43) });
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8002', localEndpoints: { sftp: { host: world.sftp.host, port: world.sftp.port, hostKeyFingerprint: world.sftp.hostKeyFingerprint } } });
    expect(await h.rawObjects()).toHaveLength(2);
  });

  it('refuses a server whose host key is not the pinned one: run failed, nothing uploaded', async () => {
    const pinned = 'SHA256:' + 'B'.repeat(43);
    const h = await setup({ hostKeyFingerprint: pinned });
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8003' });
    const run = await h.runs.getRun(runOf('8003'));
    expect(run).toMatchObject({ status: 'failed', error: { stage: 'fetch' } });
    expect(run?.error?.message).toContain(pinned);
    expect(run?.error?.message).toContain(world.sftp.hostKeyFingerprint);
    expect(await h.rawObjects()).toHaveLength(0);
    expect(await ledgerOf(h.pipeline)).toHaveLength(0);
    const [event] = await h.waitForEvents(1);
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: runOf('8003'), stage: 'fetch' });
  });

  it('fails the run on a refused login, without the password anywhere', async () => {
    const h = await setup({ password: { secret: 'wrong-password' } });
    await writeExport(h.pipeline, ['20260301']);
    await h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8004' });
    const run = await h.runs.getRun(runOf('8004'));
    expect(run).toMatchObject({ status: 'failed' });
    expect(run?.error?.message).toMatch(/refused the login of user "vendor"/);
    expect(JSON.stringify(run)).not.toContain('not-the-password');
    expect(world.logLines.join('\n')).not.toContain('not-the-password');
  });

  it('leaves an unreachable server to a retry (transient), with the run still open', async () => {
    const port = await freePort();
    const h = await setup({ port });
    await expect(h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8005' })).rejects.toThrow(TransientError);
    expect(await h.runs.getRun(runOf('8005'))).toMatchObject({ status: 'running', expectedFiles: null });
  });

  // On the attempt Pub/Sub dead-letters after, fetch ends the run itself (the dead letter's own path
  // to the run may not exist), and still throws so the message is dead-lettered.
  it('fails the run on its last delivery attempt of a transient fault, and still throws', async () => {
    const port = await freePort();
    const h = await setup({ port });
    await expect(h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8010', deliveryAttempt: 4 })).rejects.toThrow(TransientError);
    expect(await h.runs.getRun(runOf('8010'))).toMatchObject({ status: 'running' });
    await expect(h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8010', deliveryAttempt: 5 })).rejects.toThrow(TransientError);
    const run = await h.runs.getRun(runOf('8010'));
    expect(run).toMatchObject({ status: 'failed', error: { stage: 'fetch' } });
    expect(run?.error?.message).toMatch(/^fetch gave up after attempt 5 of 5: cannot connect to SFTP server/);
    const [event] = await h.waitForEvents(1);
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: runOf('8010'), stage: 'fetch' });
    // A redelivery past the cap (Pub/Sub's count is best effort) still throws; the run stays failed once.
    await expect(h.deliver('fetch', handler, trigger(h.pipeline), { messageId: '8010', deliveryAttempt: 6 })).rejects.toThrow(TransientError);
    expect(await h.runs.getRun(runOf('8010'))).toMatchObject({ status: 'failed', error: { message: run?.error?.message } });
  });

  it('gives read errors on the stream already classified: a listed file gone before it is read is transient', async () => {
    const h = await setup();
    const ctx = h.context('fetch');
    const conn = await connectSource({ source: sftpSourceOf(h.pipeline), secrets: ctx.secrets, logger: world.logger });
    try {
      const read = pipeline(conn.openRead(`/exports/${h.pipeline.name}/20260301/Gone.csv`), new Writable({ write: (_c, _e, done) => done() }));
      await expect(read).rejects.toThrow(TransientError);
      await expect(read).rejects.toThrow(/no such path reading .*Gone\.csv/);
    } finally {
      await conn.close();
    }
  });

  it('rejects a message that is not a trigger for this pipeline', async () => {
    const h = await setup();
    await expect(h.deliver('fetch', handler, '{not json', { messageId: '8006' })).rejects.toThrow(InvalidMessageError);
    await expect(h.deliver('fetch', handler, { ...trigger(h.pipeline), type: 'sluice.staged' }, { messageId: '8007' })).rejects.toThrow(InvalidMessageError);
    await expect(h.deliver('fetch', handler, trigger(h.pipeline, { pipeline: 'someone-else' }), { messageId: '8008' })).rejects.toThrow(InvalidMessageError);
    await expect(h.deliver('fetch', handler, trigger(h.pipeline, { date: '2026-02-30' }), { messageId: '8009' })).rejects.toThrow(InvalidMessageError);
  });
});
