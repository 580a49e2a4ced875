// The CLI in-process (runCli with fake streams), for what a child process cannot show: every
// command's --help has an example; colours only on a TTY and never with NO_COLOR or --no-color;
// watch redraws in place on a TTY. Plus the time formats tables use.
import { PassThrough, Writable } from 'node:stream';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsServer } from '../../functions/ops/http/start-ops-server';
import type { Base } from '../../cli/command-kit';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/main';
import { buildProgram } from '../../cli/program';
import { readSecretValue } from '../../cli/read-secret';
import { formatDuration, formatTime, parseInstant } from '../../cli/time-format';
import { OPERATOR_TOKEN, startFixtureServer } from './ops-test-server';
import type { Fixture } from './fixture-ops-service';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
  // What readline's cursor moves ask of a TTY stream.
  columns = 120;
}

function io(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture(tty);
  const stderr = new Capture(tty);
  const base: Base = {
    streams: { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream, stdin: process.stdin },
    env, cwd: '/',
  };
  return { stdout, stderr, base };
}

let server: OpsServer;
let fixture: Fixture;
beforeAll(async () => {
  ({ server, fixture } = await startFixtureServer());
});
afterAll(async () => server?.stop());

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('--help', () => {
  it('every command has one, with an example', async () => {
    const paths = [[], ...commandPaths(buildProgram(io(false).base, { exitCode: EXIT.ok }))];
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const { stdout, base } = io(false);
      const code = await runCli([...path, '--help'], base);
      expect(code, path.join(' ')).toBe(0);
      expect(stdout.text, path.join(' ')).toMatch(/Examples?:\n {2}\$ sluice /);
    }
  });
});

describe('usage', () => {
  it('a group without its subcommand shows its help on stderr and exits 2; a bare sluice too', async () => {
    for (const args of [['runs'], ['dlq'], []]) {
      const { stdout, stderr, base } = io(false);
      expect(await runCli(args, base), args.join(' ')).toBe(2);
      expect(stderr.text).toMatch(/^Usage: sluice/);
      expect(stdout.text).toBe('');
    }
  });
});

describe('colours', () => {
  const args = () => ['--api', server.url, '--token', OPERATOR_TOKEN, 'runs', 'list'];
  it('on a TTY the status is coloured', async () => {
    const { stdout, base } = io(true);
    expect(await runCli(args(), base)).toBe(0);
    expect(stdout.text).toContain('\u001b[31mfailed');
  });
  it('never with NO_COLOR, --no-color, TERM=dumb, or off a TTY', async () => {
    for (const [tty, env, extra] of [[true, { NO_COLOR: '1' }, []], [true, {}, ['--no-color']], [true, { TERM: 'dumb' }, []], [false, {}, []]] as const) {
      const { stdout, stderr, base } = io(tty, env);
      expect(await runCli([...args(), ...extra], base)).toBe(0);
      expect(stdout.text).toContain('run-failed');
      expect(stdout.text + stderr.text).not.toContain('\u001b[');
    }
  });
});

describe('watch on a TTY', () => {
  it('redraws the block in place (cursor up, clear down) instead of appending lines', async () => {
    const { stderr, base } = io(true, { NO_COLOR: '1' });
    const code = await runCli(['--api', server.url, '--token', OPERATOR_TOKEN, 'trigger', 'demo', '--wait', '--interval', '0.02'], base);
    expect(code).toBe(0);
    expect(stderr.text).toMatch(/\u001b\[\d+A/);
    expect(stderr.text).toContain('\u001b[0J');
    expect(stderr.text).toMatch(/load\s+done\s+files 2\/2\s+rows 900/);
    expect(fixture.calls.some((c) => c.method === 'trigger')).toBe(true);
  });
});

describe('time formats', () => {
  it('local time names the zone; UTC says UTC; offsets where a zone has no short name', () => {
    expect(formatTime('2026-12-01T16:05:00Z', { utc: false, timeZone: 'Europe/Berlin' })).toBe('2026-12-01 17:05 CET');
    expect(formatTime('2026-07-01T16:05:00Z', { utc: false, timeZone: 'Europe/Berlin' })).toBe('2026-07-01 18:05 CEST');
    expect(formatTime('2026-12-01T16:05:00Z', { utc: false, timeZone: 'America/New_York' })).toBe('2026-12-01 11:05 EST');
    expect(formatTime('2026-12-01T16:05:00Z', { utc: false, timeZone: 'Asia/Kolkata' })).toBe('2026-12-01 21:35 GMT+5:30');
    expect(formatTime('2026-12-01T16:05:07Z', { utc: true }, true)).toBe('2026-12-01 16:05:07 UTC');
    expect(formatTime('2026-12-01T23:30:00Z', { utc: false, timeZone: 'Europe/Berlin' })).toBe('2026-12-02 00:30 CET');
  });
  it('durations and --since values', () => {
    expect([formatDuration(950), formatDuration(61_000), formatDuration(3_720_000)]).toEqual(['950ms', '1m 1s', '1h 2m']);
    const now = new Date('2026-12-01T16:00:00Z');
    expect(parseInstant('2h', now)).toBe('2026-12-01T14:00:00.000Z');
    expect(parseInstant('7d', now)).toBe('2026-11-24T16:00:00.000Z');
    expect(parseInstant('2026-12-01T08:00:00+01:00', now)).toBe('2026-12-01T07:00:00.000Z');
    expect(parseInstant('yesterday', now)).toBeUndefined();
  });
});

describe('reading a secret on a terminal', () => {
  it('reads in raw mode without echo (backspace edits), and restores the terminal', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, raw: false, setRawMode(this: { raw: boolean }, on: boolean) { this.raw = on; return this; } });
    const stderr = new Capture(true);
    const reading = readSecretValue(stdin as unknown as NodeJS.ReadStream, stderr as unknown as NodeJS.WriteStream, 'value for x: ');
    expect(stdin.raw).toBe(true);
    stdin.write('pa\u007fw\r');
    expect(await reading).toBe('pw');
    expect(stdin.raw).toBe(false);
    expect(stderr.text).toBe('value for x: \n');
  });
});
