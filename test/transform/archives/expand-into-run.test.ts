// Archives through the real transform handler on the local cloud's Cloud Storage: a .gz or .zip raw
// object is expanded into raw objects of its members (each then transformed by its own name), and a
// refused archive is quarantined with a reason naming the member, nothing of it expanded.
import { gzipSync } from 'node:zlib';
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectRef, StagedMessage } from '../../../shared/messages';
import { fileKeyOf } from '../../../shared/object-names';
import { expandIfArchive } from '../../../functions/transform/archives/expand-into-run';
import { transformHandler } from '../../../functions/transform/handler';
import { silentLogger } from '../../../shared/logger';
import { localCloud, uniqueName, uniqueProjectId } from '../../support/local-cloud';
import { createTestContext, objectFinalizedMessage, type TestStageContext } from '../../support/stage-test-context';
import { writeZip } from '../../support/zip-writer';
import { testPipeline } from '../../load/test-pipeline';

const pipeline = testPipeline('unused', [
  { name: 'items', match: '^Items.*\\.csv$', table: 'items' },
  { name: 'payments', match: '^Payments.*\\.csv$', table: 'payments' },
]);

const ITEMS = 'Item,Qty\nA,1\nB,2\n';
const PAYMENTS = 'Payment,Amount\nP1,10.5\n';
const SHA = 'ab'.repeat(32);
const FETCHED = { sluiceRunId: 'x', sluiceSourcePath: '/exports/20261121/export.zip', sluiceSourceSize: '1', sluiceSourceMtime: '2026-11-21T06:00:00.000Z', sluiceSourceSha256: SHA };

let bucket: Bucket;
let bucketName: string;
const contexts: TestStageContext[] = [];

function context(): TestStageContext {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: bucketName, storageUrl: endpoints.storageUrl, projectId: endpoints.projectId });
  contexts.push(ctx);
  return ctx;
}

async function upload(name: string, content: Buffer, metadata: Record<string, string> = FETCHED): Promise<ObjectRef> {
  const file = bucket.file(name);
  await file.save(content, { resumable: false, metadata: { metadata } });
  return { bucket: bucketName, object: name, generation: String(file.metadata.generation) };
}

async function objectsUnder(prefix: string): Promise<Array<{ name: string; generation: string; metadata: Record<string, unknown> }>> {
  const [files] = await bucket.getFiles({ prefix });
  return files.map((f) => ({ name: f.name, generation: String(f.metadata.generation), metadata: (f.metadata.metadata ?? {}) as Record<string, unknown> })).sort((a, b) => a.name.localeCompare(b.name));
}

async function text(name: string): Promise<string> {
  return (await bucket.file(name).download())[0].toString('utf8');
}

// Transforms each raw member object as its bucket notification would.
async function transformMembers(ctx: TestStageContext, prefix: string): Promise<void> {
  for (const member of await objectsUnder(prefix)) {
    const ref = { bucket: bucketName, object: member.name, generation: member.generation };
    await transformHandler(ctx, objectFinalizedMessage(ref, 0));
  }
}

beforeAll(async () => {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  bucketName = uniqueName('sluice-archives');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
});

describe('archive expansion', () => {
  it('expands a .gz into one member named without .gz, matched by that name, with the archive\'s source identity', async () => {
    const raw = await upload('raw/shop/gz1/20261121/Items.csv.gz', gzipSync(ITEMS), { ...FETCHED, sluiceSourcePath: '/exports/20261121/Items.csv.gz' });
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, 0));

    const memberPath = '20261121/Items.csv.gz/Items.csv';
    expect(ctx.runs.of('expandFile')).toEqual([{ method: 'expandFile', runId: 'gz1', fileKey: fileKeyOf('20261121/Items.csv.gz'), detail: [{ fileKey: fileKeyOf(memberPath), name: memberPath }] }]);
    expect(ctx.published).toEqual([]);
    expect(ctx.quarantined).toEqual([]);
    const [member, ...others] = await objectsUnder('raw/shop/gz1/');
    expect(others).toEqual([]);
    expect(member!.name).toBe(`raw/shop/gz1/${memberPath}`);
    expect(await text(member!.name)).toBe(ITEMS);
    expect(member!.metadata).toMatchObject({
      sluiceSourcePath: '/exports/20261121/Items.csv.gz/Items.csv', sluiceSourceVersion: `sha256:${SHA}`, sluiceSourceMtime: FETCHED.sluiceSourceMtime,
      sluiceArchiveObject: raw.object, sluiceArchiveGeneration: raw.generation, sluiceArchiveMember: 'Items.csv',
    });
    // The archive moved to the archive area, keeping its own metadata.
    expect((await objectsUnder('archive/shop/gz1/')).map((o) => [o.name, o.metadata.sluiceExpandedMembers, o.metadata.sluiceSourceSha256])).toEqual([['archive/shop/gz1/20261121/Items.csv.gz', '1', SHA]]);

    await transformMembers(ctx, 'raw/shop/gz1/');
    const staged = ctx.published[0]!.message as StagedMessage;
    expect(staged).toMatchObject({ rule: 'items', table: 'items', rows: 2, fileKey: fileKeyOf(memberPath), source: { id: '/exports/20261121/Items.csv.gz/Items.csv', version: `sha256:${SHA}`, time: FETCHED.sluiceSourceMtime } });
  });

  it('expands a zip into its members; each goes its own way (two rules, one quarantined for matching none)', async () => {
    const zip = writeZip([
      { name: 'Items.csv', data: ITEMS },
      { name: 'sub/' },
      { name: 'sub/Payments.csv', data: PAYMENTS, method: 'store' },
      { name: 'readme.txt', data: 'not data\n' },
    ]);
    const raw = await upload('raw/shop/zip1/20261121/export.zip', zip);
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, zip.length));

    const names = ['20261121/export.zip/Items.csv', '20261121/export.zip/sub/Payments.csv', '20261121/export.zip/readme.txt'];
    expect(ctx.runs.of('expandFile')[0]!.detail).toEqual(names.map((name) => ({ fileKey: fileKeyOf(name), name })));
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ fileKey: fileKeyOf('20261121/export.zip'), detail: { details: { archive: 'zip', members: names } } });
    expect((await objectsUnder('raw/shop/zip1/')).map((o) => o.name)).toEqual(names.map((n) => `raw/shop/zip1/${n}`).sort());
    expect(await text('raw/shop/zip1/20261121/export.zip/sub/Payments.csv')).toBe(PAYMENTS);

    await transformMembers(ctx, 'raw/shop/zip1/');
    expect(ctx.published.map((p) => [(p.message as StagedMessage).rule, (p.message as StagedMessage).rows]).sort()).toEqual([['items', 2], ['payments', 1]]);
    expect(ctx.quarantined.map((q) => q.object.object)).toEqual(['raw/shop/zip1/20261121/export.zip/readme.txt']);
    expect(ctx.quarantined[0]!.reason).toContain('readme.txt');
  });

  it('hands its members the import rules and connector facts its source stamped on it', async () => {
    const stamped = { ...FETCHED, sluiceSourcePath: '/mail/m1/Items.csv.gz', 'sluice-import-rules': 'items', 'sluice-src-original-name': 'Items.csv.gz' };
    const raw = await upload('raw/shop/gz2/20261121/Items.csv.gz', gzipSync(ITEMS), stamped);
    await transformHandler(context(), objectFinalizedMessage(raw, 0));
    const [member] = await objectsUnder('raw/shop/gz2/');
    expect(member!.metadata).toMatchObject({ 'sluice-import-rules': 'items', 'sluice-src-original-name': 'Items.csv.gz', sluiceArchiveMember: 'Items.csv' });
  });

  it('a redelivered archive event writes no member twice and records the expansion once', async () => {
    const zip = writeZip([{ name: 'Items-1.csv', data: ITEMS }, { name: 'Items-2.csv', data: ITEMS }]);
    const raw = await upload('raw/shop/zip2/export.zip', zip);
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, zip.length));
    const first = await objectsUnder('raw/shop/zip2/');
    expect(first).toHaveLength(2);

    // Redelivered after the move: found done in the archive area.
    await transformHandler(ctx, objectFinalizedMessage(raw, zip.length));
    // Redelivered as if the first delivery had died before the move (the raw archive still there):
    // every member is found written, and nothing is recorded again.
    await bucket.file('archive/shop/zip2/export.zip').copy(bucket.file('raw/shop/zip2/export.zip'));
    const [again] = await bucket.file('raw/shop/zip2/export.zip').getMetadata();
    await transformHandler(ctx, objectFinalizedMessage({ ...raw, generation: String(again.generation) }, zip.length));
    expect(await objectsUnder('raw/shop/zip2/')).toEqual(first);
    expect(ctx.runs.of('expandFile')).toHaveLength(1);
    expect(ctx.quarantined).toEqual([]);
  });

  it('leaves a zip that is a workbook to the parsers', async () => {
    const xlsx = writeZip([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'xl/workbook.xml', data: '<workbook/>' }]);
    const raw = await upload('raw/shop/wb1/Items.xlsx', xlsx);
    const ctx = context();
    expect(await expandIfArchive(ctx, { raw, location: { pipeline: 'shop', runId: 'wb1', path: 'Items.xlsx' } }, silentLogger)).toBe(false);
    expect(await expandIfArchive(ctx, { raw: await upload('raw/shop/wb1/Items.csv', Buffer.from(ITEMS)), location: { pipeline: 'shop', runId: 'wb1', path: 'Items.csv' } }, silentLogger)).toBe(false);
    expect((await objectsUnder('raw/shop/wb1/')).map((o) => o.name)).toEqual(['raw/shop/wb1/Items.csv', 'raw/shop/wb1/Items.xlsx']);
    expect(ctx.runs.of('expandFile')).toEqual([]);
  });
});

describe('refused archives: quarantined naming the member, nothing expanded', () => {
  const zeros = (mib: number) => Buffer.alloc(mib * 1024 * 1024);
  const cases: Array<{ label: string; name: string; body: () => Buffer; reason: RegExp }> = [
    { label: 'a zip bomb (its directory declares the ratio)', name: 'bomb.zip', body: () => writeZip([{ name: 'Items.csv', data: ITEMS }, { name: 'Items-zeros.csv', data: zeros(20) }]), reason: /member "Items-zeros.csv" declares 20971520 bytes from \d+ compressed, over 200 times.*zip bomb/ },
    { label: 'a zip member inflating past what its header declares', name: 'liar.zip', body: () => writeZip([{ name: 'Items.csv', data: zeros(3), declaredSize: 1000 }]), reason: /member "Items.csv" cannot be inflated: too many bytes/ },
    { label: 'a gzip bomb (counted on the inflated bytes: gzip declares nothing)', name: 'Items.csv.gz', body: () => gzipSync(zeros(30)), reason: /member "Items.csv" inflates more than 200 times its compressed size of \d+ bytes.*zip bomb/ },
    { label: 'an encrypted member', name: 'secret.zip', body: () => writeZip([{ name: 'Items.csv', data: ITEMS }, { name: 'Payments.csv', data: PAYMENTS, flags: 1 }]), reason: /member "Payments.csv" is encrypted/ },
    { label: 'a member climbing out with ../', name: 'evil1.zip', body: () => writeZip([{ name: 'Items.csv', data: ITEMS }, { name: '../evil.csv', data: ITEMS }]), reason: /member "\.\.\/evil\.csv" has an unsafe name: it climbs out of the archive/ },
    { label: 'an absolute member path', name: 'evil2.zip', body: () => writeZip([{ name: '/abs.csv', data: ITEMS }]), reason: /member "\/abs\.csv" has an unsafe name: it is an absolute path/ },
    { label: 'a drive letter', name: 'evil3.zip', body: () => writeZip([{ name: 'C:/Items.csv', data: ITEMS }]), reason: /member "C:\/Items\.csv" has an unsafe name: it starts with a drive letter/ },
    { label: 'a backslash', name: 'evil4.zip', body: () => writeZip([{ name: 'sub\\Items.csv', data: ITEMS }]), reason: /member "sub\\Items\.csv" has an unsafe name: it holds a backslash/ },
    { label: 'a NUL in a member name', name: 'evil5.zip', body: () => writeZip([{ name: 'Items\u0000.csv', data: ITEMS }]), reason: /member "Items\\u0000\.csv" has an unsafe name: it holds the control or line-separator character U\+0000/ },
    { label: 'a nested zip', name: 'nested.zip', body: () => writeZip([{ name: 'Items.csv', data: ITEMS }, { name: 'inner.zip', data: writeZip([{ name: 'Items.csv', data: ITEMS }]) }]), reason: /member "inner\.zip" is itself a zip archive/ },
    { label: 'a nested gzip', name: 'nested-gz.zip', body: () => writeZip([{ name: 'Items.csv.gz', data: gzipSync(ITEMS) }]), reason: /member "Items\.csv\.gz" is itself a gzip archive/ },
    { label: 'a member name too long for an object name', name: 'long.zip', body: () => writeZip([{ name: `${'x'.repeat(1000)}.csv`, data: ITEMS }]), reason: /member "x+\.csv" cannot be a file of the run: its object name .*is unusable: it is \d+ bytes of UTF-8, over Cloud Storage's 1024/ },
    { label: 'an empty zip', name: 'empty.zip', body: () => writeZip([]), reason: /the archive holds no files/ },
    { label: 'a zip of directories only', name: 'dirs.zip', body: () => writeZip([{ name: 'a/' }, { name: 'a/b/' }]), reason: /the archive holds no files/ },
    { label: 'bytes that are no zip behind a zip signature', name: 'broken.zip', body: () => Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(100)]), reason: /it is not a readable zip archive/ },
  ];

  it.each(cases)('$label', async ({ name, body, reason }) => {
    const runId = uniqueName('bad').replace(/-/g, '_');
    const raw = await upload(`raw/shop/${runId}/${name}`, body());
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, 0));
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toMatch(reason);
    expect(ctx.quarantined[0]!.reason).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: .*; nothing of the archive was expanded$`));
    expect(ctx.runs.of('finishFile')).toMatchObject([{ fileKey: fileKeyOf(name), detail: { outcome: 'quarantined', stage: 'transform' } }]);
    expect(ctx.runs.of('expandFile')).toEqual([]);
    expect(await objectsUnder(`raw/shop/${runId}/`)).toEqual([]);
    expect((await objectsUnder(`quarantine/shop/${runId}/`)).map((o) => o.name)).toEqual([`quarantine/shop/${runId}/${name}`]);
    expect(ctx.published).toEqual([]);
  });

  it('a member that is an archive in disguise (a zip named .xlsx) is refused when its own transform sees it', async () => {
    const inner = writeZip([{ name: 'Items.csv', data: ITEMS }]);
    const raw = await upload('raw/shop/disguise/export.zip', writeZip([{ name: 'Items.xlsx', data: inner }]));
    const ctx = context();
    await transformHandler(ctx, objectFinalizedMessage(raw, 0));
    expect(ctx.runs.of('expandFile')).toHaveLength(1);
    await transformMembers(ctx, 'raw/shop/disguise/');
    expect(ctx.quarantined.map((q) => q.reason)).toEqual([expect.stringMatching(/^Items\.xlsx: it is a zip archive inside the archive raw\/shop\/disguise\/export\.zip; archives are expanded one level only/)]);
    expect(ctx.runs.of('expandFile')).toHaveLength(1);
  });
});
