// The transform handler against the local cloud's real Cloud Storage emulator.
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../../shared/errors';
import type { ObjectRef, StagedMessage } from '../../shared/messages';
import { fileKeyOf, stagedDataName, stagedSchemaName } from '../../shared/object-names';
import { transformHandler } from '../../functions/transform/handler';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';
import { createTestContext, objectFinalizedMessage, type TestStageContext } from '../support/stage-test-context';
import { testPipeline } from '../load/test-pipeline';

const pipeline = testPipeline('unused', [
  { name: 'orders', match: '^Orders.*\\.csv$', table: 'orders', mode: 'merge', key: ['order_id'], types: { order_id: 'text' } },
]);

let bucket: Bucket;
let bucketName: string;
const contexts: TestStageContext[] = [];

function context(): TestStageContext {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: bucketName, storageUrl: endpoints.storageUrl, projectId: endpoints.projectId });
  contexts.push(ctx);
  return ctx;
}

async function upload(name: string, content: string | Buffer): Promise<ObjectRef> {
  const file = bucket.file(name);
  await file.save(content, { resumable: false });
  return { bucket: bucketName, object: name, generation: String(file.metadata.generation) };
}

async function text(name: string): Promise<string> {
  const [contents] = await bucket.file(name).download();
  return contents.toString('utf8');
}

beforeAll(async () => {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  bucketName = uniqueName('sluice-transform');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
});

describe('transform handler', () => {
  it('writes the staged CSV and sidecar, publishes to load and records the stage', async () => {
    const source = '\uFEFFOrder ID;Placed At;Total\nA-1;2024-05-01 12:00:00;10.50\nA-2;2024-05-02 13:30:00;7\n';
    const raw = await upload('raw/shop/run1/20240502/Orders.csv', source);
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, source.length));

    const location = { pipeline: 'shop', runId: 'run1', path: '20240502/Orders.csv' };
    expect(ctx.published).toHaveLength(1);
    const message = ctx.published[0]!.message as StagedMessage;
    const token = /\.([0-9a-f]{12})\.csv$/.exec(message.staged.object)?.[1] ?? '(no token)';
    expect(await text(stagedDataName(location, token))).toBe('order_id,placed_at,total\nA-1,2024-05-01 12:00:00,10.50\nA-2,2024-05-02 13:30:00,7\n');
    const sidecar = JSON.parse(await text(stagedSchemaName(location, token)));
    expect(sidecar.columns).toEqual([
      { name: 'order_id', sourceName: 'Order ID', type: 'text' },
      { name: 'placed_at', sourceName: 'Placed At', type: 'timestamp' },
      { name: 'total', sourceName: 'Total', type: 'numeric' },
    ]);
    // The sidecar describes the staged file; how the source was read goes to the run record.
    expect(sidecar).toEqual({
      v: 2, columns: sidecar.columns, rows: 2, raw, staged: sidecar.staged, rule: 'orders', table: 'orders',
      timeRanges: { placed_at: { min: '2024-05-01T12:00:00', max: '2024-05-02T13:30:00' } },
    });

    expect(ctx.published[0]!.stage).toBe('load');
    expect(message).toMatchObject({ type: 'sluice.staged', pipeline: 'shop', runId: 'run1', fileKey: fileKeyOf(location.path), raw, rule: 'orders', table: 'orders', rows: 2, schemaObject: stagedSchemaName(location, token) });
    expect(message.staged).toEqual({ bucket: bucketName, object: stagedDataName(location, token), generation: sidecar.staged.generation });
    expect(ctx.runs.of('stageStarted')[0]).toMatchObject({ runId: 'run1', stage: 'transform', detail: { name: location.path, raw } });
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({
      stage: 'transform',
      detail: { rows: 2, details: { parse: { format: 'csv', encoding: 'utf-8', bom: 'utf-8', delimiter: ';', headerRow: 1 } } },
    });

    // A redelivery writes objects of its own and publishes again (load keeps one load per raw
    // generation); the first delivery's pair stays intact, so a racing load of it still succeeds.
    await transformHandler(ctx, objectFinalizedMessage(raw, source.length));
    expect(ctx.published).toHaveLength(2);
    const again = ctx.published[1]!.message as StagedMessage;
    expect(again.staged.object).not.toBe(message.staged.object);
    expect(await text(again.staged.object)).toBe(await text(message.staged.object));
    expect(JSON.parse(await text(again.schemaObject)).staged).toEqual(again.staged);
    expect(JSON.parse(await text(message.schemaObject)).staged).toEqual(message.staged);
  });

  it('quarantines a file no rule matches', async () => {
    const raw = await upload('raw/shop/run2/Payments.csv', 'a,b\n1,2\n');
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, 8));
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toBe('no import rule matches "Payments.csv" (rules: orders: /^Orders.*\\.csv$/)');
    expect((await bucket.file('quarantine/shop/run2/Payments.csv').exists())[0]).toBe(true);
    expect((await bucket.file(raw.object).exists())[0]).toBe(false);
    expect(ctx.published).toHaveLength(0);
  });

  it('quarantines a ragged file naming the row, and writes no staged object', async () => {
    const raw = await upload('raw/shop/run3/Orders.csv', 'order_id,total\nA,1\nB\n');
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, 20));
    expect(ctx.quarantined[0]).toMatchObject({ row: 2, reason: 'Orders.csv (rule orders): row 2 has 1 fields, the header has 2' });
    expect((await bucket.getFiles({ prefix: 'staged/shop/run3/' }))[0]).toHaveLength(0);
    expect(ctx.runs.of('finishFile')[0]).toMatchObject({ detail: { outcome: 'quarantined', row: 2 } });
  });

  it('acknowledges events it does not handle and a generation that is gone', async () => {
    const ctx = context();
    const raw = await upload('raw/shop/run4/Orders.csv', 'order_id\nA\n');
    await transformHandler(ctx, objectFinalizedMessage(raw, 10, 'OBJECT_DELETE'));
    await transformHandler(ctx, objectFinalizedMessage({ ...raw, object: 'raw/other/run4/Orders.csv' }, 10));
    await transformHandler(ctx, objectFinalizedMessage({ ...raw, object: 'staged/shop/run4/Orders.csv.csv' }, 10));
    await transformHandler(ctx, objectFinalizedMessage({ ...raw, generation: String(Number(raw.generation) + 1) }, 10));
    expect(ctx.published).toHaveLength(0);
    expect(ctx.quarantined).toHaveLength(0);

    const bad = objectFinalizedMessage(raw, 10);
    delete (bad.attributes as Record<string, string>).objectGeneration;
    await expect(transformHandler(ctx, bad)).rejects.toBeInstanceOf(InvalidMessageError);
  });

  it('a redelivery after a quarantine that died before ending the file ends it, so the run can complete', async () => {
    const ctx = context();
    const raw = await upload('raw/shop/run5/20240502/Orders.csv', 'order_id,total\nA-1\n');
    // The first delivery got as far as moving the file: its quarantine copy exists, the raw object is
    // gone, and it died before recording the file's end (and so before announcing the run's end).
    await bucket.file(raw.object).copy(bucket.file('quarantine/shop/run5/20240502/Orders.csv'), {
      metadata: { sluiceRunId: 'run5', sluiceStage: 'transform', sluiceReason: 'Orders.csv (rule orders): row 1 has 1 fields, the header has 2', sluiceRow: '1' },
    });
    await bucket.file(raw.object).delete();

    await transformHandler(ctx, objectFinalizedMessage(raw, 20));
    expect(ctx.runs.of('finishFile')).toEqual([
      expect.objectContaining({
        runId: 'run5',
        fileKey: fileKeyOf('20240502/Orders.csv'),
        detail: expect.objectContaining({ outcome: 'quarantined', stage: 'transform', row: 1, quarantinedAs: 'quarantine/shop/run5/20240502/Orders.csv', error: expect.stringContaining('row 1 has 1 fields') }),
      }),
    ]);
    expect(ctx.published).toHaveLength(0);
  });
});
