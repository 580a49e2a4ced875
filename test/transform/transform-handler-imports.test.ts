// A source that names the import rules its files feed (a Gmail rule's `imports`): fetch stamps them on
// the raw object (sluice-import-rules) and transform lets only those rules take the file, against the
// local cloud's Cloud Storage emulator.
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectRef, StagedMessage } from '../../shared/messages';
import { transformHandler } from '../../functions/transform/handler';
import { IMPORT_RULES_METADATA_KEY } from '../../functions/transform/match-import-rule';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';
import { createTestContext, objectFinalizedMessage, type TestStageContext } from '../support/stage-test-context';
import { testPipeline } from '../load/test-pipeline';

// Both regexes fit "Orders.csv": without a restriction it matches two rules and neither takes it.
const pipeline = testPipeline('unused', [
  { name: 'orders', match: '^Orders', table: 'orders' },
  { name: 'any-csv', match: '\\.csv$', table: 'csv_files' },
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

async function upload(name: string, content: string, metadata: Record<string, string> = {}): Promise<ObjectRef> {
  const file = bucket.file(name);
  await file.save(content, { resumable: false, metadata: { metadata } });
  return { bucket: bucketName, object: name, generation: String(file.metadata.generation) };
}

beforeAll(async () => {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  bucketName = uniqueName('sluice-transform-imports');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
});

const CSV = 'order_id,total\nA-1,10.50\n';

describe('transform: the import rules a source allows', () => {
  it('a file stamped with imports [orders] is not taken by any-csv, though its regex fits', async () => {
    const raw = await upload('raw/shop/imp1/20240502/Payments.csv', CSV, { [IMPORT_RULES_METADATA_KEY]: 'orders' });
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, CSV.length));
    expect(ctx.published).toHaveLength(0);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toBe('no import rule matches "Payments.csv" (rules: orders: /^Orders/; its source lets it feed only "orders")');
  });

  it('the restriction picks the one allowed rule among two whose regexes fit', async () => {
    const unrestricted = await upload('raw/shop/imp2/20240502/Orders.csv', CSV);
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(unrestricted, CSV.length));
    expect(ctx.quarantined[0]?.reason).toMatch(/matches more than one import rule \(orders, any-csv\)/);

    const raw = await upload('raw/shop/imp3/20240502/Orders.csv', CSV, { [IMPORT_RULES_METADATA_KEY]: 'any-csv' });
    const restricted = context();
    await transformHandler(restricted, objectFinalizedMessage(raw, CSV.length));
    expect(restricted.quarantined).toHaveLength(0);
    expect(restricted.published[0]!.message as StagedMessage).toMatchObject({ rule: 'any-csv', table: 'csv_files' });
  });

  it('reads the restriction from the notification body when it carries the metadata (no extra request)', async () => {
    // The object itself carries none: only the body can have said "orders only".
    const raw = await upload('raw/shop/imp4/20240502/Orders.csv', CSV);
    const message = objectFinalizedMessage(raw, CSV.length);
    const body = JSON.parse(message.data.toString('utf8')) as Record<string, unknown>;
    const ctx = context();
    await transformHandler(ctx, { ...message, data: Buffer.from(JSON.stringify({ ...body, metadata: { sluiceRunId: 'imp4', [IMPORT_RULES_METADATA_KEY]: 'orders' } })) });
    expect(ctx.published[0]!.message as StagedMessage).toMatchObject({ rule: 'orders', table: 'orders' });
  });
});
