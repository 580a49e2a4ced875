// Unit test (fakes allowed): the secret reader hands every value it reads to the redactor before the
// caller gets it, so each sink scrubs it; a URL secret's password is known on its own too.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { createStageFunction } from '../../functions/runtime/stage-function';
import type { StageResources } from '../../functions/runtime/stage-context';
import { stages } from '../../functions/stages';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { PermanentError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { createRedactor, processRedactor } from '../../shared/redact';
import { secretEnvVarName } from '../../shared/stage-secrets';

function secretsDir(values: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-secret-reader-'));
  for (const [name, value] of Object.entries(values)) writeFileSync(path.join(dir, name), value + '\n');
  return dir;
}

describe('secret reader', () => {
  it('registers each value it reads, and the password of a URL secret', async () => {
    const redactor = createRedactor();
    const dir = secretsDir({ 'db-url': 'postgres://loader:Pa55-w0rd%2F1@db:5432/pos', token: 'tok-123456789' });
    const reader = createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['db-url', 'token'], redactor });
    expect(redactor.redact('tok-123456789')).toBe('tok-123456789');
    expect(await reader.read('token')).toBe('tok-123456789');
    expect(redactor.redact('got tok-123456789')).toBe('got [redacted]');
    await reader.read('db-url');
    expect(redactor.redact('password "Pa55-w0rd/1" refused')).toBe('password "[redacted]" refused');
  });

  it('registers values from the environment too (Cloud Functions secretEnvironmentVariables)', async () => {
    const redactor = createRedactor();
    const env = { [secretEnvVarName('smtp-url')]: 'smtp://u:MailPw99@smtp.example' };
    const reader = createSecretReader({ env, projectId: 'p', allowed: ['smtp-url'], redactor });
    await reader.read('smtp-url');
    expect(redactor.redact('auth MailPw99 refused')).toBe('auth [redacted] refused');
  });
});

describe('dead-letter attribute', () => {
  it('carries the reason scrubbed of every secret the process has read', async () => {
    const secret = `dl-secret-${Date.now()}`;
    processRedactor.addSecret(secret);
    const published: Array<{ attributes: Record<string, string> }> = [];
    const resources = {
      options: {
        pipeline: restaurantPos,
        stage: stages.load,
        prefix: 'sluice',
        logger: silentLogger,
        clients: { pubsub: { topic: () => ({ publishMessage: async (m: { attributes: Record<string, string> }) => { published.push(m); return 'id'; } }) } },
      },
      contextFor: () => ({}),
    } as unknown as StageResources;
    const fn = createStageFunction(resources, async () => {
      throw new PermanentError(`refused with ${secret} at postgres://u:hunter22@db/x`);
    });
    const data = { message: { data: Buffer.from('{}').toString('base64'), messageId: 'm1', attributes: {} }, subscription: 's' };
    await fn({ id: 'm1', data });
    expect(published).toHaveLength(1);
    const reason = published[0]!.attributes.sluiceError;
    expect(reason).toBe('refused with [redacted] at postgres://[redacted]@db/x');
  });
});
