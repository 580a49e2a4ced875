// A vendor sending its export compressed: two CSVs in one .zip and one as .gz, fetched over SFTP,
// expanded by transform into files of the same run, each matched by its own name and loaded; the
// run ends once with every member counted, and a second run skips the archives as already fetched.
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { definePipeline } from '../../shared/pipeline-definition';
import { writeZip } from '../support/zip-writer';
import { expectRollupsMatchSql, tableCounts } from './assertions';
import { startDemoHarness, type DemoHarness } from './demo-harness';

const DATE = '2026-10-05';
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness({ pipelineOverrides: (p) => definePipeline({ ...p, source: { ...sftpSourceOf(p), glob: '*.{csv,zip,gz}' } }) });
});
afterAll(async () => h?.close());

it('loads a zipped and a gzipped export like the plain one', async () => {
  const fixture = h.generate([DATE], 40, 11);
  const dir = path.join(h.exportRoot, DATE.replace(/-/g, ''));
  const read = (name: string) => fs.readFileSync(path.join(dir, name));
  fs.writeFileSync(path.join(dir, 'export.zip'), writeZip([
    { name: 'OrderDetails.csv', data: read('OrderDetails.csv') },
    { name: 'ItemSelectionDetails.csv', data: read('ItemSelectionDetails.csv') },
  ]));
  fs.writeFileSync(path.join(dir, 'PaymentDetails.csv.gz'), gzipSync(read('PaymentDetails.csv')));
  for (const name of ['OrderDetails.csv', 'ItemSelectionDetails.csv', 'PaymentDetails.csv']) fs.rmSync(path.join(dir, name));

  const run = await h.runOnce({ date: DATE });
  expect(run.run).toMatchObject({ status: 'succeeded', expectedFiles: 2, addedFiles: 3, endedFiles: 5, counts: { expanded: 2, loaded: 3, quarantined: 0, failed: 0 } });
  expect(run.files.map((f) => [path.basename(f.name), f.status]).sort()).toEqual([
    ['ItemSelectionDetails.csv', 'loaded'], ['OrderDetails.csv', 'loaded'], ['PaymentDetails.csv', 'loaded'],
    ['PaymentDetails.csv.gz', 'expanded'], ['export.zip', 'expanded'],
  ]);
  expect(await tableCounts(h)).toEqual(fixture.rows);
  await expectRollupsMatchSql(h);

  const bucket = h.deployment.storage.bucket(h.deployment.bucket);
  const [raw] = await bucket.getFiles({ prefix: `raw/${h.pipeline.name}/` });
  const [archived] = await bucket.getFiles({ prefix: `archive/${h.pipeline.name}/` });
  expect(raw).toHaveLength(0);
  expect(archived.map((f) => f.name.split('/').slice(3).join('/')).sort()).toEqual([
    '20261005/PaymentDetails.csv.gz', '20261005/PaymentDetails.csv.gz/PaymentDetails.csv',
    '20261005/export.zip', '20261005/export.zip/ItemSelectionDetails.csv', '20261005/export.zip/OrderDetails.csv',
  ]);

  const second = await h.runOnce({ date: DATE });
  expect(second.run).toMatchObject({ status: 'no-new-data', expectedFiles: 0, counts: { skipped: 2 } });
  expect(await tableCounts(h)).toEqual(fixture.rows);
});
