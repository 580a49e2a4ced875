// Fallback clusters (emulator/postgres.ts, root with a private checkout) are swept once the data dir
// they stood in for is gone and nothing runs on them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepOrphanedFallbacks } from '../../emulator/postgres';
import { silentLogger } from '../../shared/logger';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sweep-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fallback(name: string, origin: string, pid?: number): string {
  const cluster = path.join(tmp, `sluice-postgres-${name}`);
  fs.mkdirSync(cluster);
  fs.writeFileSync(`${cluster}.origin`, origin);
  if (pid !== undefined) fs.writeFileSync(path.join(cluster, 'postmaster.pid'), `${pid}\n/data\n`);
  return cluster;
}

describe('sweepOrphanedFallbacks', () => {
  it('removes clusters whose checkout is gone and keeps the rest', () => {
    const live = fs.mkdtempSync(path.join(tmp, 'checkout-'));
    const orphan = fallback('aaaa', path.join(tmp, 'deleted-checkout', '.sluice', 'postgres'));
    const kept = fallback('bbbb', live);
    const running = fallback('cccc', path.join(tmp, 'also-deleted'), process.pid);
    const native = path.join(tmp, 'sluice-postgres-native-18');
    fs.mkdirSync(native);

    sweepOrphanedFallbacks(silentLogger, tmp);

    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(`${orphan}.origin`)).toBe(false);
    expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(running)).toBe(true);
    expect(fs.existsSync(native)).toBe(true);
  });
});
