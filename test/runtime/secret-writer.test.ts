// Unit test (local files; Secret Manager is not reachable here): a rotated refresh token is written
// atomically to the local secrets directory (0600, never half a file), served by the reader from then
// on and registered with the redactor; only the names the stage may rotate can be written.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { localSecretWriter } from '../../functions/runtime/secret-writer';
import { isPermanent } from '../../shared/errors';
import { createRedactor } from '../../shared/redact';

function secretsDir(values: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-secret-writer-'));
  for (const [name, value] of Object.entries(values)) writeFileSync(path.join(dir, name), value + '\n', { mode: 0o600 });
  return dir;
}

describe('local secret writer', () => {
  it('replaces the file by rename with mode 0600 and leaves no temp file', async () => {
    const dir = secretsDir({ token: 'old-refresh-token' });
    await localSecretWriter(dir).write('token', 'new-refresh-token');
    expect(readFileSync(path.join(dir, 'token'), 'utf8')).toBe('new-refresh-token');
    expect(statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['token']);
  });

  it('refuses a name that is not a plain secret name', async () => {
    const dir = secretsDir({});
    await expect(localSecretWriter(dir).write('../escape', 'x')).rejects.toSatisfy(isPermanent);
  });
});

describe('reader.rotate', () => {
  it('stores the value, serves it from then on and registers it with the redactor first', async () => {
    const dir = secretsDir({ 'gmail-token': 'first-refresh-token', other: 'other-value-1' });
    const redactor = createRedactor();
    const reader = createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['gmail-token', 'other'], rotatable: ['gmail-token'], redactor });
    expect(await reader.read('gmail-token')).toBe('first-refresh-token');
    await reader.rotate!('gmail-token', 'second-refresh-token');
    expect(await reader.read('gmail-token')).toBe('second-refresh-token');
    expect(readFileSync(path.join(dir, 'gmail-token'), 'utf8')).toBe('second-refresh-token');
    expect(redactor.redact('got second-refresh-token')).toBe('got [redacted]');
    // A fresh reader (the next run) reads the new value.
    const next = createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['gmail-token'] });
    expect(await next.read('gmail-token')).toBe('second-refresh-token');
  });

  it('writes only the names the stage may rotate, and is absent when there are none', async () => {
    const dir = secretsDir({ 'gmail-token': 't-123456', other: 'o-123456' });
    const reader = createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['gmail-token', 'other'], rotatable: ['gmail-token'] });
    await expect(reader.rotate!('other', 'x')).rejects.toSatisfy(isPermanent);
    expect(readFileSync(path.join(dir, 'other'), 'utf8')).toBe('o-123456\n');
    expect(createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['other'] }).rotate).toBeUndefined();
  });
});
