// Which files a Drive destination owes a run, where their bytes are by then, and the subfolder each
// goes to. Pure: no cloud.
import { describe, expect, it } from 'vitest';
import { driveFilesOf, subfolderPath } from '../../../functions/notify/destinations/drive/drive-files';
import type { FileRecord } from '../../../functions/runtime/run-record';

const run = { pipeline: 'pos', runId: 'r1', dates: ['2026-11-30'], createdAt: '2026-12-01T02:00:00.000Z' };
const fetched = { fetch: { attempts: 1, startedAt: 't', endedAt: 't', details: { sha256: 'a'.repeat(64), size: 10 } } };
const file = (fileKey: string, name: string, status: FileRecord['status'], more: Partial<FileRecord> = {}): FileRecord => ({ fileKey, name, status, stages: fetched, ...more });

const files: FileRecord[] = [
  file('k1', '20261130/sales.csv', 'loaded'),
  file('k2', '20261130/bad.csv', 'quarantined', { quarantinedAs: 'quarantine/pos/r1/20261130/bad.csv' }),
  file('k3', '20261129/old.csv', 'superseded'),
  file('k4', '20261130/export.zip', 'expanded', { members: ['20261130/export.zip/Items.csv'] }),
  // A member: never fetched, loaded on its own.
  { fileKey: 'k5', name: '20261130/export.zip/Items.csv', status: 'loaded', stages: { transform: { attempts: 1 } } },
  file('k6', '20261130/broken.csv', 'failed'),
  file('k7', '20261130/late.csv', 'pending'),
  // Skipped by fetch (an earlier run's): no fetch stage on this run.
  { fileKey: 'k8', name: '20261130/seen.csv', status: 'skipped', stages: {} },
];

describe('driveFilesOf', () => {
  it("'fetched': every file fetch staged, an archive as itself, in archive/ or quarantine/", () => {
    const chosen = driveFilesOf({ on: 'fetched' }, run, files);
    expect(chosen.map((f) => [f.path, f.object])).toEqual([
      ['20261129/old.csv', 'archive/pos/r1/20261129/old.csv'],
      ['20261130/bad.csv', 'quarantine/pos/r1/20261130/bad.csv'],
      ['20261130/export.zip', 'archive/pos/r1/20261130/export.zip'],
      ['20261130/sales.csv', 'archive/pos/r1/20261130/sales.csv'],
    ]);
    expect(chosen[0]).toMatchObject({ name: 'old.csv', exportDate: '20261129', sha256: 'a'.repeat(64), size: 10 });
  });

  it("'loaded': only loaded files, archive members included; `match` on the base name", () => {
    expect(driveFilesOf({ on: 'loaded' }, run, files).map((f) => f.path)).toEqual(['20261130/export.zip/Items.csv', '20261130/sales.csv']);
    expect(driveFilesOf({ on: 'loaded', match: '^Items' }, run, files).map((f) => f.name)).toEqual(['Items.csv']);
  });

  it('a path without a date folder takes the run date', () => {
    expect(driveFilesOf({ on: 'loaded' }, run, [file('k', 'flat.csv', 'loaded')])[0]?.exportDate).toBe('20261130');
  });
});

describe('subfolderPath', () => {
  it('expands the date placeholders and splits nested folders', () => {
    expect(subfolderPath('{yyyyMMdd}', '20261130')).toEqual(['20261130']);
    expect(subfolderPath('{yyyy}/{MM}/{dd}', '20261130')).toEqual(['2026', '11', '30']);
    expect(subfolderPath('POS {yyyy-MM-dd}', '20261130')).toEqual(['POS 2026-11-30']);
    expect(subfolderPath('', '20261130')).toEqual([]);
  });
});
