// A small seeded chaos run inside the suite: the demo over two days of exports and a corrected re-export,
// clean and then under each fault once, compared by checksum (emulator/chaos/). `npm run chaos` runs the long version. The suite's
// shared local cloud serves everything but SFTP: this file runs an SFTP server of its own, since faults
// are injected in the server's process. The SIGKILL fault runs the functions from their bundles, built
// once here into a temporary folder (what `npm run build` writes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSigkillFault, sigkillFault } from '../../emulator/chaos/fault-sigkill';
import { FAULTS } from '../../emulator/chaos/faults';
import { runChaos } from '../../emulator/chaos/run-chaos';
import { startSftpServer, type SftpServer } from '../../emulator/sftp-server';
import type { LocalCloudEndpoints } from '../../emulator/stack';
import { buildFunctionBundles } from '../../scripts/build-functions';
import { localCloud } from '../support/local-cloud';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const SEED = Number(process.env.SLUICE_CHAOS_SEED ?? 20261201);
let sftp: SftpServer;
let root: string;
let endpoints: LocalCloudEndpoints;
let bundlesDir: string;

beforeAll(async () => {
  bundlesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chaos-bundles-'));
  await buildFunctionBundles({ root: ROOT, outDir: bundlesDir });
  const shared = localCloud();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chaos-sftp-'));
  sftp = await startSftpServer({ root, users: [{ username: shared.sftp.username, password: shared.sftp.password }] });
  endpoints = { ...shared, sftp: { ...shared.sftp, host: sftp.host, port: sftp.port, hostKeyFingerprint: sftp.hostKeyFingerprint, root } };
});

afterAll(async () => {
  await sftp?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  if (bundlesDir) fs.rmSync(bundlesDir, { recursive: true, force: true });
});

it(`every fault trial ends like the clean run (seed ${SEED}; rerun with SLUICE_CHAOS_SEED)`, async () => {
  const lines: string[] = [];
  const report = await runChaos({
    endpoints,
    seed: SEED,
    trials: 1,
    faults: FAULTS.map((fault) => (fault === sigkillFault ? createSigkillFault({ bundlesDir }) : fault)),
    dates: ['2026-09-14', '2026-09-15'],
    ordersPerDay: 20,
    outageMs: { load: 2_000, notify: 2_000 },
    runTimeoutMs: 90_000,
    setSftpFaults: (faults) => sftp.setFaults(faults),
    log: (line) => lines.push(line),
  });
  const failed = report.trials.filter((t) => !t.passed);
  expect(failed, lines.join('\n')).toEqual([]);
  // One report per day, and one for the corrected re-export of the first day.
  expect(report.baseline.mails.reports).toBe(3);
  expect(report.summary.map((s) => s.fault).length).toBeGreaterThanOrEqual(6);
  expect(Object.values(report.baseline.tables).every((t) => t.rows > 0)).toBe(true);
}, 600_000);
