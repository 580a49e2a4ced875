// The zip reader's ranged reads of Cloud Storage: a zip's directory is read from a few cached blocks,
// not with one request per entry, and every member's bytes come back whole.
import type { Bucket, File } from '@google-cloud/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_ARCHIVE_MEMBERS } from '../../../functions/transform/archives/archive-limits';
import { openZipArchive } from '../../../functions/transform/archives/zip-archive';
import { localCloud, uniqueName, uniqueProjectId } from '../../support/local-cloud';
import { createTestContext, type TestStageContext } from '../../support/stage-test-context';
import { writeZip } from '../../support/zip-writer';
import { testPipeline } from '../../load/test-pipeline';

let ctx: TestStageContext;
let bucket: Bucket;

beforeAll(async () => {
  const endpoints = localCloud();
  ctx = createTestContext({ pipeline: testPipeline('unused', [{ name: 'all', match: '.*', table: 't' }]), stage: 'transform', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  [bucket] = await ctx.storage.createBucket(uniqueName('sluice-zip-reader'));
});
afterAll(async () => ctx?.close());

// Counts the requests made through this File object.
function counted(file: File): { file: File; requests: () => number } {
  let requests = 0;
  const download = file.download.bind(file);
  const stream = file.createReadStream.bind(file);
  file.download = ((...args: Parameters<File['download']>) => { requests++; return download(...args); }) as File['download'];
  file.createReadStream = ((...args: Parameters<File['createReadStream']>) => { requests++; return stream(...args); }) as File['createReadStream'];
  return { file, requests: () => requests };
}

it(`lists ${MAX_ARCHIVE_MEMBERS} members in a few requests and streams each one whole`, async () => {
  const entries = Array.from({ length: MAX_ARCHIVE_MEMBERS }, (_, i) => ({ name: `dir/member-${String(i).padStart(4, '0')}.csv`, data: `n\n${i}\n`.repeat(i % 7 + 1) }));
  // One large member (streamed with a ranged read of its own, not through the blocks).
  entries[3] = { name: 'dir/member-0003.csv', data: Buffer.from(Array.from({ length: 300_000 }, (_, i) => 97 + (i * 7919) % 26)).toString('latin1') };
  const zip = writeZip(entries.map((e, i) => ({ ...e, method: i % 2 ? 'store' : 'deflate' })));
  const saved = bucket.file('many.zip');
  await saved.save(zip, { resumable: false });
  const { file, requests } = counted(bucket.file('many.zip', { generation: Number(saved.metadata.generation) }));

  const archive = await openZipArchive(file, zip.length, { maxExpandedBytes: 1 << 30, maxExpansionRatio: 200, maxMembers: MAX_ARCHIVE_MEMBERS });
  if (archive === 'workbook') throw new Error('not a workbook');
  expect(archive.members.map((m) => m.path)).toEqual(entries.map((e) => e.name));
  // The end record and the whole directory: a few blocks of 64 KiB.
  expect(requests()).toBeLessThanOrEqual(4);
  for (const [i, member] of archive.members.entries()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await member.open()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('latin1')).toBe(entries[i]!.data);
  }
  await archive.close();
});
