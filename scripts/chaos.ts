// `npm run chaos`: the chaos harness on a local cloud of its own (temp state), with Cloud Storage
// notifications delivered at least once and out of order (SLUICE_GCS_NOTIFY_CHAOS, same seed), the
// demo pipeline run clean and then under every fault for the given number of trials, compared by
// checksum. Prints a table (fault, trials, passed), writes .sluice/chaos.json, exits 1 on any failure.
//   npm run chaos -- [--seed N] [--trials N] [--fault NAME ...] [--days N] [--orders N] [--short]
// --short uses 3 s outages instead of the issue's 30 s (load) and 60 s (notify).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { FAULTS } from '../emulator/chaos/faults';
import { runChaos } from '../emulator/chaos/run-chaos';
import { startLocalCloud } from '../emulator/stack';

// The Google clients must never look for a metadata server (that would be a request off loopback).
process.env.METADATA_SERVER_DETECTION ??= 'none';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      trials: { type: 'string', default: '3' },
      fault: { type: 'string', multiple: true },
      days: { type: 'string', default: '3' },
      orders: { type: 'string', default: '40' },
      short: { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed ?? Math.floor(Math.random() * 1e9));
  const trials = Number(values.trials);
  const days = Number(values.days);
  for (const [name, value] of [['--seed', seed], ['--trials', trials], ['--days', days], ['--orders', Number(values.orders)]] as const) {
    if (!Number.isInteger(value) || value < (name === '--seed' ? 0 : 1)) throw new Error(`${name} must be a whole number${name === '--seed' ? '' : ' ≥ 1'}`);
  }
  const faults = values.fault?.length
    ? values.fault.map((name) => {
        const found = FAULTS.find((f) => f.name === name);
        if (!found) throw new Error(`--fault: no fault named "${name}" (have: ${FAULTS.map((f) => `"${f.name}"`).join(', ')})`);
        return found;
      })
    : FAULTS;
  const dates = Array.from({ length: days }, (_, i) => new Date(Date.UTC(2026, 8, 14 + i)).toISOString().slice(0, 10));
  process.stderr.write(`chaos seed ${seed} (rerun: npm run chaos -- --seed ${seed}); starting a local cloud...\n`);

  const cloud = await startLocalCloud({ env: { ...process.env, SLUICE_GCS_NOTIFY_CHAOS: String(seed) }, fastPostgres: true });
  try {
    const started = Date.now();
    const report = await runChaos({
      endpoints: cloud.endpoints,
      seed,
      trials,
      faults,
      dates,
      ordersPerDay: Number(values.orders),
      ...(values.short ? { outageMs: { load: 3_000, notify: 3_000 } } : {}),
      setSftpFaults: (f) => cloud.setSftpFaults(f),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const rows = report.summary.map((s) => [s.fault, String(s.trials), String(s.passed)]);
    const header = ['fault', 'trials', 'passed'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
    const out = path.join(repoRoot, '.sluice', 'chaos.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ ...report, at: new Date().toISOString(), durationMs: Date.now() - started, notificationChaosSeed: seed }, null, 2));
    process.stderr.write(`written ${out}\n`);
    return report.trials.every((t) => t.passed) ? 0 : 1;
  } finally {
    await cloud.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
