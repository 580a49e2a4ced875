// The transform handler on the local cloud's Cloud Storage with the files real exports look like:
// title blocks and totals rows, other encodings and delimiters, decimal commas, a CSV named .xls,
// invalid bytes, a declared format the content contradicts. Expected staged rows exact.
import type { Bucket } from '@google-cloud/storage';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectRef, StagedMessage } from '../../shared/messages';
import { transformHandler } from '../../functions/transform/handler';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';
import { createTestContext, objectFinalizedMessage, type TestStageContext } from '../support/stage-test-context';
import { testPipeline } from '../load/test-pipeline';

const pipeline = testPipeline('unused', [
  // A supplier's weekly price list: a title block above the header, a totals row below, decimal commas.
  {
    name: 'prices', match: '^Prices.*\\.(csv|xls)$', table: 'prices',
    csv: { encoding: 'windows-1252', decimal: ',' },
    rows: { header: { minCells: 3 }, skipFooter: 1 },
    rename: { 'Artikel-Nr.': 'item_code' }, types: { item_code: 'text' },
  },
  { name: 'notes', match: '^Notes.*\\.csv$', table: 'notes', rows: { stopAtEmptyRow: true } },
  { name: 'sheets', match: '^Sheet.*$', table: 'sheets', format: 'xlsx' },
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

async function upload(name: string, content: Buffer): Promise<ObjectRef> {
  const file = bucket.file(name);
  await file.save(content, { resumable: false });
  return { bucket: bucketName, object: name, generation: String(file.metadata.generation) };
}

async function transform(name: string, content: Buffer) {
  const raw = await upload(name, content);
  const ctx = context();
  await transformHandler(ctx, objectFinalizedMessage(raw, content.length));
  const message = ctx.published[0]?.message as StagedMessage | undefined;
  const staged = message ? (await bucket.file(message.staged.object).download())[0].toString('utf8') : null;
  return { ctx, message, staged };
}

beforeAll(async () => {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage: 'transform', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  bucketName = uniqueName('sluice-formats');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
});

const priceList = [
  'Lieferant Müller GmbH;;;',
  'Preisliste KW 12;;;',
  ';;;',
  'Artikel-Nr.;Bezeichnung;Preis €;Menge',
  '007;Kaffee, gemahlen;1.234,50;3',
  '012;Tee grün;12,00;10',
  'Summe;;1.246,50;13',
].join('\r\n') + '\r\n';

describe('transform handler: what real exports look like', () => {
  it('reads a windows-1252 price list with a title block, a totals row and decimal commas', async () => {
    const { ctx, staged, message } = await transform('raw/shop/f1/20240318/Prices-KW12.csv', iconv.encode(priceList, 'windows-1252'));
    expect(staged).toBe('item_code,bezeichnung,preis,menge\n007,"Kaffee, gemahlen",1234.50,3\n012,Tee grün,12.00,10\n');
    expect(message?.rows).toBe(2);
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({
      detail: { details: { columns: ['item_code:text', 'bezeichnung:text', 'preis:numeric', 'menge:integer'], parse: { format: 'csv', encoding: 'windows-1252', bom: null, delimiter: ';', headerRow: 4, footerRows: 1 } } },
    });
  });

  it('reads CSV text named .xls as CSV, and says so on the run', async () => {
    const { ctx, staged } = await transform('raw/shop/f2/20240318/Prices-KW12.xls', iconv.encode(priceList, 'windows-1252'));
    expect(staged).toBe('item_code,bezeichnung,preis,menge\n007,"Kaffee, gemahlen",1234.50,3\n012,Tee grün,12.00,10\n');
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { details: { parse: { format: 'csv', detected: 'CSV text named .xls' } } } });
  });

  it('reads UTF-16LE tab-separated text and stops at the first empty row', async () => {
    const body = '\uFEFFid\tnote\r\n1\tZoë\r\n2\t\uFFFD is data\r\n\r\nprinted by ERP\r\n';
    const { ctx, staged } = await transform('raw/shop/f3/20240318/Notes.csv', iconv.encode(body, 'utf-16le'));
    expect(staged).toBe('id,note\n1,Zoë\n2,\uFFFD is data\n');
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { details: { parse: { encoding: 'utf-16le', bom: 'utf-16le', delimiter: '\t', endedAtRow: 4 } } } });
  });

  it('keeps a valid U+FFFD in UTF-8 as data, and quarantines an invalid byte naming its row', async () => {
    const good = await transform('raw/shop/f4/20240318/Notes-a.csv', Buffer.from('id,note\n1,\uFFFD\n', 'utf8'));
    expect(good.staged).toBe('id,note\n1,\uFFFD\n');
    const bad = await transform('raw/shop/f5/20240318/Notes-b.csv', Buffer.concat([Buffer.from('id,note\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(bad.ctx.quarantined[0]).toMatchObject({ row: 2, reason: 'Notes-b.csv (rule notes): row 2, column "note": bytes that are not valid utf-8' });
    expect((await bucket.getFiles({ prefix: 'staged/shop/f5/' }))[0]).toHaveLength(0);
  });

  it('quarantines a file whose content contradicts the declared format, naming both', async () => {
    const { ctx } = await transform('raw/shop/f6/20240318/Sheet-1.xlsx', Buffer.from('id,name\n1,x\n'));
    expect(ctx.quarantined[0]?.reason).toBe('Sheet-1.xlsx (rule sheets): the rule declares format xlsx, but the content is CSV text');
    expect(ctx.published).toHaveLength(0);
  });
});
