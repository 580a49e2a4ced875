// Fallback clusters (emulator/postgres.ts, root with a private checkout) are swept once the data dir
// they stood in for is gone — or is another instance at the same path (a checkout cloned again into a
// reused folder, with a new password) — and nothing runs on them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataDirInstance, sweepOrphanedFallbacks } from '../../emulator/postgres';
import { silentLogger } from '../../shared/logger';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sweep-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fallback(name: string, origin: string | { path: string; instance: string }, pid?: number): string {
  const cluster = path.join(tmp, `sluice-postgres-${name}`);
  fs.mkdirSync(cluster);
  fs.writeFileSync(`${cluster}.origin`, typeof origin === 'string' ? origin : JSON.stringify(origin));
  if (pid !== undefined) fs.writeFileSync(path.join(cluster, 'postmaster.pid'), `${pid}\n/data\n`);
  return cluster;
}

describe('sweepOrphanedFallbacks', () => {
  it('removes clusters whose checkout is gone or was made again, and keeps the rest', () => {
    const live = fs.mkdtempSync(path.join(tmp, 'checkout-'));
    const orphan = fallback('aaaa', { path: path.join(tmp, 'deleted-checkout', '.sluice', 'postgres'), instance: '1:1' });
    const kept = fallback('bbbb', { path: live, instance: dataDirInstance(live)! });
    const running = fallback('cccc', { path: path.join(tmp, 'also-deleted'), instance: '2:2' }, process.pid);
    const recloned = fs.mkdtempSync(path.join(tmp, 'recloned-'));
    const stale = fallback('dddd', { path: recloned, instance: 'an-earlier-clone' });
    const legacy = fallback('eeee', live); // a plain-path marker from before instances were recorded
    const native = path.join(tmp, 'sluice-postgres-native-18');
    fs.mkdirSync(native);

    sweepOrphanedFallbacks(silentLogger, tmp);

    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(`${orphan}.origin`)).toBe(false);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(running)).toBe(true);
    expect(fs.existsSync(native)).toBe(true);
  });
});
