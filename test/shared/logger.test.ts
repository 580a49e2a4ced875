// The logger writes one JSON line per entry and never a secret: keys that name credentials are
// redacted, every string at every depth (and the message) goes through the redactor, errors keep
// their name and message scrubbed, and depth is capped by truncating, never by passing through.
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_DEPTH } from '../../shared/logger';
import { createRedactor } from '../../shared/redact';

function capture(secret?: string) {
  const lines: Array<Record<string, unknown>> = [];
  const redactor = createRedactor();
  if (secret) redactor.addSecret(secret);
  const logger = createLogger({ pipeline: 'p' }, (line) => lines.push(JSON.parse(line) as Record<string, unknown>), 'DEBUG', redactor);
  return { lines, logger };
}

const SECRET = 'Tr0ub4dor&3-horse';

describe('logger', () => {
  it('writes severity, message and fields as one JSON line', () => {
    const { lines, logger } = capture();
    logger.child({ runId: 'r1' }).info('file loaded', { rows: 3 });
    expect(lines).toEqual([expect.objectContaining({ severity: 'INFO', message: 'file loaded', pipeline: 'p', runId: 'r1', rows: 3 })]);
  });

  it('redacts by key name: passwords, tokens, URLs, DSNs, connection strings, API keys, cookies', () => {
    const { lines, logger } = capture();
    logger.info('config', {
      password: 'x', url: 'https://h/p?sig=abc', databaseUrl: 'postgres://h/d', dsn: 'd', connectionString: 'c', apiKey: 'k',
      accessToken: 'a', refreshToken: 'r', cookie: 'c', 'set-cookie': 's', authorization: 'Basic x', nested: { smtpUrl: 'smtp://h', host: 'kept' },
    });
    const entry = lines[0]!;
    for (const key of ['password', 'url', 'databaseUrl', 'dsn', 'connectionString', 'apiKey', 'accessToken', 'refreshToken', 'cookie', 'set-cookie', 'authorization']) {
      expect(entry[key], key).toBe('[redacted]');
    }
    expect(entry.nested).toEqual({ smtpUrl: '[redacted]', host: 'kept' });
  });

  it("scrubs a secret's value and credential shapes in every string at any depth, and in the message", () => {
    const { lines, logger } = capture(SECRET);
    let deep: Record<string, unknown> = { leaf: `pw ${SECRET}` };
    for (let i = 0; i < 12; i++) deep = { down: deep, [`at${i}`]: `postgres://u:${SECRET}@h/d` };
    logger.warn(`failed with ${SECRET}`, { reason: `said ${SECRET}`, list: [[`x ${SECRET}`]], deep, header: 'Bearer abc.def-123' });
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain(SECRET);
    expect(lines[0]!.message).toBe('failed with [redacted]');
    expect(lines[0]!.header).toBe('Bearer [redacted]');
    expect(raw).toContain('[truncated]');
  });

  it(`truncates below depth ${MAX_LOG_DEPTH} instead of writing the value raw`, () => {
    const { lines, logger } = capture();
    let deep: unknown = { password: 'plain', text: 'postgres://u:hunter2@h/d' };
    for (let i = 0; i < MAX_LOG_DEPTH + 2; i++) deep = { d: deep };
    logger.info('deep', { deep });
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('plain');
    expect(raw).toContain('[truncated]');
  });

  it('writes errors as name, message, code and cause, each scrubbed', () => {
    const { lines, logger } = capture(SECRET);
    const cause = Object.assign(new Error(`connect postgres://loader:${SECRET}@db/x`), { code: 'ECONNREFUSED' });
    logger.error('failed', { error: new TypeError(`wrapped ${SECRET}`, { cause }) });
    expect(lines[0]!.error).toEqual({
      name: 'TypeError',
      message: 'wrapped [redacted]',
      cause: { name: 'Error', message: 'connect postgres://[redacted]@db/x', code: 'ECONNREFUSED' },
    });
  });

  it('survives cycles, bigints, dates and bytes; an object referenced twice is written twice', () => {
    const { lines, logger } = capture();
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    logger.info('odd values', { cyclic, big: 10n, at: new Date('2026-01-02T03:04:05Z'), bytes: Buffer.from('abc') });
    expect(lines[0]).toMatchObject({
      cyclic: { shared: { n: 1 }, again: { n: 1 }, self: '[circular]' },
      big: '10',
      at: '2026-01-02T03:04:05.000Z',
      bytes: '[3 bytes]',
    });
  });

  it('uses the process redactor by default, which the secret reader fills', async () => {
    const { processRedactor } = await import('../../shared/redact');
    const value = `process-wide-${Date.now()}-secret`;
    processRedactor.addSecret(value);
    const lines: string[] = [];
    createLogger({}, (line) => lines.push(line)).info(`has ${value}`);
    expect(lines.join('')).not.toContain(value);
  });
});
