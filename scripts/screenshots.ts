// `npm run screenshots`: the README's pictures of the dashboard, from seeded data — the runs list
// and a failed run's page — written to docs/screenshots/. Starts its own Firestore emulator, the
// real ops server with the dashboard (the same world the dashboard's browser tests use), seeds runs
// through the RunStore, and photographs them in Debian's headless Chromium. Everything it starts it
// stops, also on failure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { startFirestoreEmulator } from '../emulator/firestore-emulator';
import { startDashboardWorld, type DashboardWorld } from '../test/dashboard/dashboard-world';
import { seedEmptyRun, seedFailedRun, seedRun, seedRunningRun } from '../test/dashboard/seed-runs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs', 'screenshots');

async function seed(world: DashboardWorld): Promise<string> {
  const { runs, clock } = world;
  const now = Date.now();
  const ago = (minutes: number) => new Date(now - minutes * 60_000);
  await seedRun(runs, clock, 'restaurant-pos-20261125-0600', { pipeline: 'restaurant-pos', startedAt: ago(6 * 24 * 60), date: '2026-11-25', files: [{ name: 'orders_2026-11-25.csv', outcome: 'loaded', rows: 1893 }, { name: 'order-items_2026-11-25.csv', outcome: 'loaded', rows: 5210 }] });
  await seedRun(runs, clock, 'restaurant-pos-20261126-0600', { pipeline: 'restaurant-pos', startedAt: ago(5 * 24 * 60), date: '2026-11-26', files: [{ name: 'orders_2026-11-26.csv', outcome: 'loaded', rows: 1760 }, { name: 'order-items_2026-11-26.csv', outcome: 'loaded', rows: 4987 }] });
  await seedRun(runs, clock, 'restaurant-pos-20261127-0600', { pipeline: 'restaurant-pos', startedAt: ago(4 * 24 * 60), date: '2026-11-27', files: [{ name: 'orders_2026-11-27.csv', outcome: 'loaded', rows: 2011 }, { name: 'order-items_2026-11-27.csv', outcome: 'quarantined', error: 'header "qty" is missing (found: item, quantity, price)' }] });
  await seedEmptyRun(runs, clock, 'vendor-inbox-20261128-0700', { pipeline: 'vendor-inbox', startedAt: ago(3 * 24 * 60), date: '2026-11-28' });
  await seedRun(runs, clock, 'restaurant-pos-20261128-0600', { pipeline: 'restaurant-pos', startedAt: ago(3 * 24 * 60 + 60), date: '2026-11-28', files: [{ name: 'orders_2026-11-28.csv', outcome: 'loaded', rows: 1932 }, { name: 'order-items_2026-11-28.csv', outcome: 'loaded', rows: 5102 }] });
  await seedRun(runs, clock, 'vendor-inbox-20261129-0700', { pipeline: 'vendor-inbox', startedAt: ago(2 * 24 * 60), date: '2026-11-29', files: [{ name: 'invoice-4471.xlsx', outcome: 'loaded', rows: 42 }] });
  await seedRun(runs, clock, 'restaurant-pos-20261129-0600', { pipeline: 'restaurant-pos', startedAt: ago(2 * 24 * 60 + 60), date: '2026-11-29', files: [{ name: 'orders_2026-11-29.csv', outcome: 'loaded', rows: 1874 }, { name: 'order-items_2026-11-29.csv', outcome: 'loaded', rows: 5044 }] });
  const failed = 'restaurant-pos-20261130-0600';
  await seedFailedRun(runs, clock, failed, { pipeline: 'restaurant-pos', startedAt: ago(24 * 60 + 3), date: '2026-11-30' });
  await seedRun(runs, clock, 'vendor-inbox-20261130-0700', { pipeline: 'vendor-inbox', startedAt: ago(24 * 60), date: '2026-11-30', files: [{ name: 'invoice-4480.xlsx', outcome: 'loaded', rows: 57 }] });
  await seedRunningRun(runs, clock, 'restaurant-pos-manual-7f3a', { pipeline: 'restaurant-pos', startedAt: ago(2), date: '2026-12-01' });
  clock.real();
  return failed;
}

async function main(): Promise<void> {
  // Not on GCE: the Google clients need not probe the metadata server (and warn when it is absent).
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  mkdirSync(outDir, { recursive: true });
  const firestore = await startFirestoreEmulator({ env: process.env });
  let world: DashboardWorld | undefined;
  try {
    world = await startDashboardWorld({ firestoreHost: firestore.host });
    const failed = await seed(world);
    // What the local log stream would hold for that run (the page's Logs section).
    const logAt = (offsetMs: number) => new Date(Date.now() - 24 * 3_600_000 - 3 * 60_000 + offsetMs).toISOString();
    world.logLines.push(
      { timestamp: logAt(200), severity: 'INFO', stage: 'fetch', message: 'fetched 2 new files from sftp://pos.example.com/exports/2026-11-30' },
      { timestamp: logAt(4500), severity: 'INFO', stage: 'transform', message: 'orders_2026-11-30.csv: 1,200 rows staged (rule orders)' },
      { timestamp: logAt(9000), severity: 'ERROR', stage: 'load', message: 'orders_2026-11-30.csv row 418: invalid input syntax for type numeric: "12,50" (column amount); giving up after 1 attempt (permanent)' },
    );
    const list = await world.pageAs('operator', '#/runs', { width: 1280, height: 640 });
    await list.locator('#runs-table tbody tr').nth(9).waitFor();
    await list.screenshot({ path: path.join(outDir, 'runs-list.png') });
    const run = await world.pageAs('operator', `#/runs/${failed}`, { width: 1280, height: 800 });
    await run.locator('#files tbody tr').nth(1).waitFor();
    await run.locator('#logs tbody tr').nth(2).waitFor();
    await run.screenshot({ path: path.join(outDir, 'failed-run.png'), fullPage: true });
    process.stderr.write(`wrote ${path.relative(root, path.join(outDir, 'runs-list.png'))} and ${path.relative(root, path.join(outDir, 'failed-run.png'))}\n`);
  } finally {
    await world?.stop();
    await firestore.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
