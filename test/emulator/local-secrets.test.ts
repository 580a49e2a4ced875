// The local secrets file (.sluice/secrets.json): set, read, remove, `${NAME}` local values, and the
// missing-secret check npm start runs before the first run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteLocalSecret, localSecretsFile, missingSecretLine, missingSecrets, readLocalSecrets, resolveLocalValues, setLocalSecret,
} from '../../emulator/local-secrets';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { vendorInbox } from '../../pipelines/vendor-inbox';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-secrets-test-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the secrets file', () => {
  it('is empty before anything is set, then holds each value set, owner-only', () => {
    expect(readLocalSecrets(dataDir)).toEqual({});
    setLocalSecret(dataDir, 'my-sftp-password', 'hunter2');
    setLocalSecret(dataDir, 'my-db-url', 'postgres://x');
    setLocalSecret(dataDir, 'my-sftp-password', 'hunter3');
    expect(readLocalSecrets(dataDir)).toEqual({ 'my-sftp-password': 'hunter3', 'my-db-url': 'postgres://x' });
    expect(fs.statSync(localSecretsFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dataDir)).toEqual(['secrets.json']); // no temp file left behind
    expect(deleteLocalSecret(dataDir, 'my-db-url')).toBe(true);
    expect(deleteLocalSecret(dataDir, 'my-db-url')).toBe(false);
    expect(readLocalSecrets(dataDir)).toEqual({ 'my-sftp-password': 'hunter3' });
  });

  it('refuses a name a pipeline could not declare, and a malformed file naming it without echoing values', () => {
    expect(() => setLocalSecret(dataDir, 'My_Secret', 'v')).toThrow(/invalid secret name "My_Secret"/);
    fs.writeFileSync(localSecretsFile(dataDir), '{ "ok": "v", "bad": 42 }');
    expect(() => readLocalSecrets(dataDir)).toThrow(/secrets\.json: entry "bad"/);
    fs.writeFileSync(localSecretsFile(dataDir), '{ "Bad Name": "topsecret" }');
    expect(() => readLocalSecrets(dataDir)).toThrow(/lower-case/);
    expect(() => readLocalSecrets(dataDir)).not.toThrow(/topsecret/);
    fs.writeFileSync(localSecretsFile(dataDir), 'not json');
    expect(() => readLocalSecrets(dataDir)).toThrow(/not valid JSON/);
  });
});

describe('local values', () => {
  it('replaces a whole ${NAME} value by the local cloud value, leaves other values alone, and names an unknown one', () => {
    const local = { DATABASE_URL: 'postgres://local/db', SMTP_URL: 'smtp://127.0.0.1:2525' };
    expect(resolveLocalValues({ a: '${DATABASE_URL}', b: 'pa${ss}', c: 'plain' }, local)).toEqual({ a: 'postgres://local/db', b: 'pa${ss}', c: 'plain' });
    expect(() => resolveLocalValues({ a: '${NOPE}' }, local)).toThrow(/secret "a" is \$\{NOPE\}.*DATABASE_URL, SMTP_URL/);
  });
});

describe('missing secrets at start-up', () => {
  it('names each declared secret without a value, pipeline by pipeline, in the one-line form', () => {
    const values = Object.fromEntries(restaurantPos.secrets.map((s) => [s, 'v']));
    const missing = missingSecrets([restaurantPos, vendorInbox], values);
    expect(missing.map((m) => m.pipeline)).toEqual(vendorInbox.secrets.filter((s) => !(s in values)).map(() => 'vendor-inbox'));
    expect(missing.length).toBeGreaterThan(0);
    expect(missingSecretLine(missing[0]!, '/repo/.sluice/secrets.json')).toBe(
      `sluice: pipeline "vendor-inbox" needs secret "${missing[0]!.secret}": set it with npx sluice secrets set ${missing[0]!.secret}, or in /repo/.sluice/secrets.json`,
    );
    expect(missingSecrets([restaurantPos], values)).toEqual([]);
  });
});
