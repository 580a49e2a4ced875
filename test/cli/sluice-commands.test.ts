// The sluice CLI as a user runs it: the real process (bin/sluice.mjs) against the real ops HTTP
// server over fixed data. Proves the formats (json parses, jsonl is one object a line, tables name
// the zone), the exit codes (0, 1, 2, 3, 4, 5), errors as one `sluice:` line, discovery of the
// local cloud through .sluice/ops.json, watch's progress, and bulk's count-then-confirm.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsServer } from '../../functions/ops/http/start-ops-server';
import type { Fixture } from './fixture-ops-service';
import { OPERATOR_TOKEN, startFixtureServer, VIEWER_TOKEN } from './ops-test-server';
import { sluice, startSluice } from './run-sluice';

let server: OpsServer;
let fixture: Fixture;
let tmp: string;
const api = () => ['--api', server.url, '--token', OPERATOR_TOKEN];

beforeAll(async () => {
  ({ server, fixture } = await startFixtureServer());
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-'));
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const oneErrorLine = (stderr: string) => {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sluice: /);
};

describe('finding the ops API', () => {
  it('uses .sluice/ops.json found from the working directory upwards, token included', async () => {
    const root = path.join(tmp, 'clone');
    fs.mkdirSync(path.join(root, '.sluice'), { recursive: true });
    fs.mkdirSync(path.join(root, 'pipelines', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(root, '.sluice', 'ops.json'), JSON.stringify({ url: server.url, token: OPERATOR_TOKEN, dashboard: `${server.url}/ui/` }));
    const result = await sluice(['runs', 'list', '-o', 'json'], { cwd: path.join(root, 'pipelines', 'deep') });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { runs: unknown[] }).runs).toHaveLength(3);
  });

  it('without --api, SLUICE_API_URL or .sluice/ops.json says to start npm start (exit 2)', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const result = await sluice(['status'], { cwd: empty });
    expect(result.code).toBe(2);
    oneErrorLine(result.stderr);
    expect(result.stderr).toMatch(/npm start.*--api/);
  });

  it('SLUICE_API_URL and SLUICE_TOKEN from the environment', async () => {
    const result = await sluice(['pipelines', 'list', '-o', 'jsonl'], { cwd: tmp, env: { SLUICE_API_URL: server.url, SLUICE_TOKEN: VIEWER_TOKEN } });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name)).toEqual(['demo', 'orders']);
  });
});

describe('output formats', () => {
  it('json parses, jsonl is one object a line, tables show local time with the zone, --utc UTC', async () => {
    const [json, jsonl, table, utc] = await Promise.all([
      sluice([...api(), 'runs', 'list', '-o', 'json']),
      sluice([...api(), 'runs', 'list', '-o', 'jsonl']),
      sluice([...api(), 'runs', 'list', '--pipeline', 'demo']),
      sluice([...api(), 'runs', 'list', '--utc', '--limit', '1']),
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({ runs: [{ runId: 'run-failed' }, { runId: 'run-ok' }, { runId: 'run-orders' }] });
    const lines = jsonl.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('runId');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^RUN\s+PIPELINE\s+STATUS/);
    expect(table.stdout).toContain('2026-12-01 17:05 CET');
    expect(table.stdout).toContain('run-failed');
    expect(table.stdout).not.toContain('run-orders');
    expect(table.stdout).not.toContain('\u001b[');
    expect(utc.stdout).toContain('2026-12-01 16:05 UTC');
    expect(utc.stderr).toMatch(/more: add --cursor 1/);
    expect(fixture.calls.find((c) => c.method === 'listRuns' && (c.args[0] as { pipeline?: string }).pipeline === 'demo')).toBeDefined();
  });

  it('runs get shows the error first; runs logs prints the lines; status lists pipelines and health', async () => {
    const [got, logs, status] = await Promise.all([
      sluice([...api(), 'runs', 'get', 'run-failed']),
      sluice([...api(), 'runs', 'logs', 'run-failed']),
      sluice([...api(), 'status']),
    ]);
    expect(got.code).toBe(0);
    const [head, facts, error] = got.stdout.split('\n');
    expect(head).toMatch(/run-failed\s+demo\s+failed\s+\(manual by dev\)/);
    expect(facts).toContain('started 2026-12-01 17:05 CET');
    expect(error).toBe('error  transform · orders.csv · row 17 · attempt 3: bad date "2026-13-01"');
    expect(got.stdout).toContain('retry  sluice rerun run-failed --failed');
    expect(got.stdout).toMatch(/orders\.csv\s+failed\s+transform/);
    expect(logs.stdout).toMatch(/2026-12-01 17:05:03 CET\s+ERROR\s+transform\s+bad date/);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/demo\s+sftp\s+0 6 \* \* \* \(Europe\/Berlin\)\s+2026-12-02 06:00 CET\s+no\s+run-failed\s+failed/);
    expect(status.stdout).toContain('health degraded: 1/2 dependencies up');
    expect(status.stdout).toMatch(/down\s+sftp \(demo\) \[optional\]: connect ECONNREFUSED/);
  });
});

describe('controls and exit codes', () => {
  it('trigger --wait follows the stages, one line per change off a TTY, and exits 0 on success', async () => {
    const result = await sluice([...api(), 'trigger', 'demo', '--date', '2026-11-30', '--wait', '--interval', '0.05']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/triggered: run run-new-\d+ \(demo\) is queued/);
    expect(result.stderr).toMatch(/^fetch\s+running\s+files 1\/2, 1 running$/m);
    expect(result.stderr).toMatch(/^load\s+running\s+files 1\/2, 1 running\s+rows 500$/m);
    expect(result.stderr).toMatch(/^load\s+done\s+files 2\/2\s+rows 900$/m);
    expect(result.stderr).not.toContain('\u001b[');
    expect(result.stdout).toMatch(/^run-new-\d+\s+demo\s+succeeded/);
    expect(fixture.calls).toContainEqual({ method: 'trigger', args: [{ pipeline: 'demo', date: '2026-11-30', dryRun: false }, { principal: 'user:op@example.com', role: 'operator' }] });
  });

  it('trigger without --wait prints the run id alone on stdout; rerun sends files and stage', async () => {
    const [trigger, rerun] = await Promise.all([
      sluice([...api(), 'trigger', 'demo']),
      sluice([...api(), 'rerun', 'run-failed', '--failed', '--from-stage', 'transform', '-o', 'json']),
    ]);
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toMatch(/^run-new-\d+\n$/);
    expect(trigger.stderr).toMatch(/follow it with: sluice runs watch run-new-\d+/);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ parentRunId: 'run-failed', status: 'queued' });
    expect(fixture.calls.find((c) => c.method === 'rerun')?.args.slice(0, 2)).toEqual(['run-failed', { files: 'failed', fromStage: 'transform' }]);
  });

  it('a watched run that fails exits 1; a cancelled one exits 5', async () => {
    const [failed, cancelled] = await Promise.all([
      sluice([...api(), 'runs', 'watch', 'run-failed']),
      sluice([...api(), 'cancel', 'run-orders', '--wait', '--interval', '0.05']),
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('error  transform');
    expect(cancelled.code).toBe(5);
    expect(cancelled.stderr).toMatch(/cancel requested: run run-orders is cancelling/);
    expect(cancelled.stdout).toMatch(/run-orders\s+orders\s+cancelled/);
  });

  it('not found exits 3, a viewer\'s or no token exits 4, an invalid request or usage exits 2 — each one line on stderr', async () => {
    const results = await Promise.all([
      sluice([...api(), 'runs', 'get', 'no-such-run']),
      sluice(['--api', server.url, '--token', VIEWER_TOKEN, 'cancel', 'run-ok']),
      sluice(['--api', server.url, 'runs', 'list']),
      sluice([...api(), 'trigger', 'Not_A_Pipeline']),
      sluice([...api(), 'trigger', 'nowhere']),
      sluice([...api(), 'runs', 'list', '--status', 'bogus']),
      sluice([...api(), 'rerun', 'run-failed', '--from-stage', 'notify']),
      sluice([...api(), 'frobnicate']),
    ]);
    expect(results.map((r) => r.code)).toEqual([3, 4, 4, 2, 3, 2, 2, 2]);
    for (const r of results) oneErrorLine(r.stderr);
    expect(results[0]!.stderr).toBe('sluice: no run "no-such-run"\n');
    expect(results[1]!.stderr).toMatch(/is for operators; user:viewer@example.com is a viewer/);
    expect(results[2]!.stderr).toMatch(/SLUICE_TOKEN/);
    expect(results[3]!.stderr).toMatch(/pipeline/);
    expect(fixture.calls.some((c) => c.method === 'cancel' && c.args[0] === 'run-ok')).toBe(false);
  });

  it('status exits 1 when a required dependency is down (the API answers 503 with the report)', async () => {
    const before = fixture.health;
    fixture.health = { status: 'down', checkedAt: before.checkedAt, dependencies: [{ name: 'firestore', required: true, ok: false, latencyMs: 5000, error: 'deadline exceeded' }] };
    try {
      const result = await sluice([...api(), 'status']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('health down: 0/1 dependencies up');
      expect(result.stdout).toMatch(/down\s+firestore: deadline exceeded/);
    } finally {
      fixture.health = before;
    }
  });

  it('pause and resume say what they did', async () => {
    const paused = await sluice([...api(), 'pause', 'demo']);
    expect(paused.code).toBe(0);
    expect(paused.stderr).toContain('paused demo; resume it with: sluice resume demo');
    expect(paused.stdout).toMatch(/demo\s+sftp.*paused by user:op@example\.com/);
    const resumed = await sluice([...api(), 'resume', 'demo', '-o', 'json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ name: 'demo', paused: false });
  });
});

describe('dead letters and bulk actions', () => {
  it('dlq list filters, replay --dry-run counts, purge by filter asks for --yes, ids and filters do not mix', async () => {
    const [list, replay, purge, purgeYes, both, got] = await Promise.all([
      sluice([...api(), 'dlq', 'list', '--pipeline', 'demo']),
      sluice([...api(), 'dlq', 'replay', '--pipeline', 'demo', '--dry-run']),
      sluice([...api(), 'dlq', 'purge', '--pipeline', 'orders']),
      sluice([...api(), 'dlq', 'purge', 'dl-1', 'dl-2', '-o', 'json']),
      sluice([...api(), 'dlq', 'replay', 'dl-1', '--stage', 'load']),
      sluice([...api(), 'dlq', 'get', 'dl-1']),
    ]);
    expect(got.stdout).toMatch(/^dl-1\s+demo\s+load\s+received 2026-12-01 17:05:00 CET\s+after 8 attempts\nreason\s+relation "x" does not exist\n/);
    expect(got.stdout).toContain('  data {}');
    expect(list.stdout).toMatch(/dl-1\s+demo\s+load\s+2026-12-01 17:05 CET\s+8\s+run-failed\s+orders\.csv/);
    expect(list.stdout).not.toContain('dl-2');
    expect(replay.stdout).toBe('1 dead letter(s) match; dry run: nothing replayed\n');
    expect(purge.code).toBe(2);
    expect(purge.stderr).toMatch(/1 dead letter\(s\) match\nsluice: purge 1 dead letter\(s\): pass --yes to go ahead/);
    expect(JSON.parse(purgeYes.stdout)).toEqual({ matched: 2, done: 2, dryRun: false });
    expect(both.code).toBe(2);
    expect(fixture.calls.filter((c) => c.method === 'purge').map((c) => (c.args[0] as { dryRun: boolean }).dryRun)).toEqual(expect.arrayContaining([true, false]));
  });

  it('bulk rerun counts first, refuses without --yes, then shows progress to 75/75', async () => {
    const refused = await sluice([...api(), 'bulk', 'rerun', '--pipeline', 'demo', '--status', 'failed', '--failed']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^75 run\(s\) match\nsluice: rerun 75 run\(s\): pass --yes to go ahead\n$/);
    const done = await sluice([...api(), 'bulk', 'rerun', '--pipeline', 'demo', '--status', 'failed', '--failed', '--from-stage', 'load', '--yes', '--interval', '0.05']);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/bulk rerun bulk-\d+: running\s+0\/75 done\n.*25\/75 done\n.*50\/75 done\n.*done\s+75\/75 done\n$/);
    expect(done.stdout).toMatch(/^bulk rerun bulk-\d+ done: 75\/75 done, 0 failed\n$/);
    const started = fixture.calls.filter((c) => c.method === 'bulk').at(-1)!.args[0];
    expect(started).toEqual({ action: 'rerun', filter: { pipeline: 'demo', status: ['failed'] }, rerun: { files: 'failed', fromStage: 'load' }, dryRun: false });
  });

  it('bulk cancel --dry-run only counts', async () => {
    const result = await sluice([...api(), 'bulk', 'cancel', '--status', 'running', '--dry-run', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'cancel', status: 'counted', total: 75 });
  });
});

describe('watch', () => {
  it('follows the event stream where the server has one: changes arrive without polling', async () => {
    const running = fixture.runs.get('run-orders')!;
    fixture.runs.set('run-live', { ...running, run: { ...running.run, runId: 'run-live', status: 'running' } });
    fixture.live.add('run-live');
    // An interval no test waits for: only the stream can end this watch in time.
    const watch = startSluice([...api(), 'runs', 'watch', 'run-live', '--interval', '600']);
    await watch.stderrMatches(/fetch\s+running\s+files 1\/3/);
    const live = fixture.runs.get('run-live')!;
    fixture.runs.set('run-live', { ...live, run: { ...live.run, rows: 5 }, stages: [{ ...live.stages[0]!, files: { total: 3, running: 1, done: 2, failed: 0 }, rows: 5 }] });
    fixture.emit('run-live');
    await watch.stderrMatches(/fetch\s+running\s+files 2\/3, 1 running\s+rows 5/);
    fixture.runs.set('run-live', { ...live, run: { ...live.run, status: 'failed' }, stages: [{ ...live.stages[0]!, status: 'failed', files: { total: 3, running: 0, done: 2, failed: 1 } }] });
    fixture.emit('run-live');
    const result = await watch.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/fetch\s+failed\s+files 2\/3, 1 failed/);
  });

  it('shows progress while the run is going and exits when it ends; -o jsonl streams each change as a line', async () => {
    const running = fixture.runs.get('run-orders')!;
    fixture.runs.set('run-held', { ...running, run: { ...running.run, runId: 'run-held', status: 'running' } });
    const watch = startSluice([...api(), 'runs', 'watch', 'run-held', '-o', 'jsonl', '--interval', '0.05']);
    await watch.stderrMatches(/fetch\s+running\s+files 1\/3/);
    const held = fixture.runs.get('run-held')!;
    fixture.runs.set('run-held', { ...held, run: { ...held.run, status: 'succeeded', rows: 10 }, stages: [{ ...held.stages[0]!, status: 'done', files: { total: 3, running: 0, done: 3, failed: 0 } }] });
    const result = await watch.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/fetch\s+done\s+files 3\/3/);
    const lines = result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { run: { status: string } });
    expect(lines.map((l) => l.run.status)).toEqual(['running', 'succeeded']);
  });
});

// emulator/local-secrets.ts comes from the local-cloud branch (i11-local); until both are merged
// this test has nothing to call.
describe('secrets set', () => {
  it('stores a piped value in <data dir>/secrets.json (owner-only) and never prints it', async () => {
    const dataDir = fs.mkdtempSync(path.join(tmp, 'data-'));
    const value = 's3cret-value-42';
    const result = await sluice(['secrets', 'set', 'sftp-password'], { cwd: tmp, env: { SLUICE_DATA_DIR: dataDir }, input: `${value}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(value);
    expect(result.stderr).toMatch(/set secret "sftp-password"/);
    const file = path.join(dataDir, 'secrets.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ 'sftp-password': value });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const [bad, empty] = await Promise.all([
      sluice(['secrets', 'set', 'Bad Name'], { cwd: tmp, env: { SLUICE_DATA_DIR: dataDir }, input: 'x' }),
      sluice(['secrets', 'set', 'other'], { cwd: tmp, env: { SLUICE_DATA_DIR: dataDir }, input: '' }),
    ]);
    expect([bad.code, empty.code]).toEqual([2, 2]);
    oneErrorLine(bad.stderr);
    expect(empty.stderr).toBe('sluice: no value for secret "other" on stdin\n');
  });
});

describe('a local cloud that is gone', () => {
  it('a stale .sluice/ops.json says the API cannot be reached and asks whether npm start runs', async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'stale-'));
    fs.mkdirSync(path.join(root, '.sluice'));
    // A port nothing listens on: the server's, after it stopped.
    const gone = await startFixtureServer();
    await gone.server.stop();
    fs.writeFileSync(path.join(root, '.sluice', 'ops.json'), JSON.stringify({ url: gone.server.url, token: 't' }));
    const result = await sluice(['runs', 'list'], { cwd: root });
    expect(result.code).toBe(1);
    oneErrorLine(result.stderr);
    expect(result.stderr).toMatch(/cannot reach the ops API at http:\/\/127\.0\.0\.1:\d+ \(from \.sluice\/ops\.json\): ECONNREFUSED; is `npm start` still running\?/);
  });
});
