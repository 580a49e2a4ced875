// The local cloud as a whole: every endpoint of the shared stack answers the real client, wrong
// settings fail naming the setting (before any JVM starts), and the CLI leaves nothing behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import pg from 'pg';
import SftpClient from 'ssh2-sftp-client';
import { describe, expect, it } from 'vitest';
import { readEnvFile } from '../../emulator/env-file';
import { freePort, portAnswers } from '../../emulator/free-port';
import { startLocalCloud } from '../../emulator/stack';
import { fingerprintOfHostKey } from '../../shared/host-key-fingerprint';
import { createTestSchema, firestoreFor, localCloud, pubsubFor, storageFor, uniqueName, uniqueProjectId } from '../support/local-cloud';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('the shared local cloud', () => {
  const endpoints = localCloud();
  const projectId = uniqueProjectId('stack');

  it('Pub/Sub: creates a topic', async () => {
    const pubsub = pubsubFor(projectId);
    const name = uniqueName('topic');
    await pubsub.createTopic(name);
    const [topics] = await pubsub.getTopics();
    expect(topics.map((t) => t.name)).toContain(`projects/${projectId}/topics/${name}`);
    await pubsub.close();
  });

  it('Firestore: writes and reads a document', async () => {
    const db = firestoreFor(projectId);
    const ref = db.collection(uniqueName('things')).doc('one');
    await ref.set({ hello: 'world' });
    expect((await ref.get()).data()).toEqual({ hello: 'world' });
    await db.terminate();
  });

  it('Cloud Storage: creates a bucket', async () => {
    const storage = storageFor(projectId);
    const name = uniqueName('bucket');
    await storage.createBucket(name);
    const [exists] = await storage.bucket(name).exists();
    expect(exists).toBe(true);
  });

  it('PostgreSQL: select 1', async () => {
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    expect(fs.readFileSync(path.join(endpoints.secretsDir, 'database-url'), 'utf8')).toBe(endpoints.databaseUrl);
  });

  it('PostgreSQL: createTestSchema gives a test its own schema through search_path', async () => {
    const scratch = await createTestSchema('stack');
    const client = new pg.Client({ connectionString: scratch.databaseUrl });
    await client.connect();
    await client.query('create table things (id int)');
    const { rows } = await client.query<{ schema: string }>("select table_schema as schema from information_schema.tables where table_name = 'things'");
    await client.end();
    expect(rows).toEqual([{ schema: scratch.schema }]);
    await scratch.drop();
  });

  it('SFTP: connects with the pinned host key fingerprint, by password and by private key', async () => {
    const { host, port, username, password, privateKeyPath, hostKeyFingerprint } = endpoints.sftp;
    expect(hostKeyFingerprint).toMatch(/^SHA256:/);
    const hostVerifier = (key: Buffer) => fingerprintOfHostKey(key) === hostKeyFingerprint;
    for (const credentials of [{ password }, { privateKey: fs.readFileSync(privateKeyPath, 'utf8') }]) {
      const sftp = new SftpClient();
      await sftp.connect({ host, port, username, hostVerifier, readyTimeout: 10_000, ...credentials });
      expect(await sftp.list('/')).toBeInstanceOf(Array);
      await sftp.end();
    }
    expect(fs.readFileSync(path.join(endpoints.secretsDir, 'sftp-password'), 'utf8')).toBe(password);
  });

  it('SMTP: accepts a message into the outbox', async () => {
    const subject = uniqueName('subject');
    const transport = nodemailer.createTransport({ host: endpoints.smtp.host, port: endpoints.smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'sluice@example.test', to: 'ops@example.test', subject, text: 'hello' });
    transport.close();
    await waitFor('the message in the outbox', () => filesUnder(endpoints.smtp.outboxDir).find((f) => fs.readFileSync(f, 'utf8').includes(subject)));
  });
});

describe('start-up with wrong settings', () => {
  it('fails naming DATABASE_URL when it does not connect, before starting any emulator', async () => {
    const started = Date.now();
    await expect(startLocalCloud({ env: { DATABASE_URL: 'postgres://nope@127.0.0.1:1/x' } })).rejects.toThrow(/DATABASE_URL/);
    expect(Date.now() - started).toBeLessThan(5_000); // no JVM was started and waited for
  });

  it('fails naming DATABASE_URL when it is not a postgres URL', async () => {
    await expect(startLocalCloud({ env: { DATABASE_URL: 'mysql://x@127.0.0.1/x' } })).rejects.toThrow(/DATABASE_URL/);
  });

  it('fails naming PUBSUB_EMULATOR_HOST when nothing answers there', async () => {
    const port = await freePort();
    await expect(startLocalCloud({ env: { PUBSUB_EMULATOR_HOST: `127.0.0.1:${port}` } })).rejects.toThrow(/PUBSUB_EMULATOR_HOST/);
    await expect(startLocalCloud({ env: { PUBSUB_EMULATOR_HOST: 'not a host' } })).rejects.toThrow(/PUBSUB_EMULATOR_HOST/);
  });

  it('fails naming FIRESTORE_EMULATOR_HOST when nothing answers there', async () => {
    const port = await freePort();
    await expect(startLocalCloud({ env: { FIRESTORE_EMULATOR_HOST: `127.0.0.1:${port}` } })).rejects.toThrow(/FIRESTORE_EMULATOR_HOST/);
  });
});

// ---- the CLI as a child process ----

/** pid → parent pid and process group, from /proc (zombies left out: they are exited). */
function processTable(): Map<number, { ppid: number; pgrp: number; command: string }> {
  const table = new Map<number, { ppid: number; pgrp: number; command: string }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (fields[0] !== 'Z') table.set(Number(entry), { ppid: Number(fields[1]), pgrp: Number(fields[2]), command });
    } catch {
      // exited while we looked
    }
  }
  return table;
}

function descendantsOf(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, { ppid }] of table) if (ppid === parent) (found.push(pid), queue.push(pid));
  }
  return found;
}

const isAlive = (pid: number) => processTable().has(pid);
const groupMembers = (pgrp: number) => [...processTable()].filter(([, p]) => p.pgrp === pgrp).map(([pid, p]) => `${pid} ${p.command}`);

const EXPECTED_NAMES = [
  'PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'DATABASE_URL', 'SFTP_HOST', 'SFTP_PORT', 'SFTP_USERNAME',
  'SFTP_HOST_KEY_FINGERPRINT', 'SMTP_HOST', 'SMTP_PORT', 'SMTP_OUTBOX_DIR', 'GOOGLE_API_ROOT', 'GOOGLE_OAUTH_TOKEN_URL', 'GOOGLE_OAUTH_AUTH_URL',
  'GOOGLE_API_DOUBLE_SEED_URL', 'SLUICE_SECRETS_DIR', 'GOOGLE_CLOUD_PROJECT',
];

describe('npm run emulator (emulator/cli.ts)', () => {
  it('prints NAME=value lines, writes the env file, and on SIGTERM exits 0 leaving no process and no open port', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-test-'));
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_DATA_DIR: dataDir };
    for (const name of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'DATABASE_URL', 'SMTP_OUTBOX_DIR']) delete env[name];
    const cli = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'emulator/cli.ts')], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const printed = await waitFor(
        'the NAME=value lines',
        () => {
          if (cli.exitCode !== null) throw new Error(`the CLI exited early (${cli.exitCode}):\n${stderr}`);
          const lines = Object.fromEntries(stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
          return EXPECTED_NAMES.every((name) => name in lines) ? lines : undefined;
        },
        90_000,
      );
      expect(Object.keys(printed)).toEqual(EXPECTED_NAMES);
      expect(readEnvFile(path.join(dataDir, 'emulator.env'))).toEqual(printed);
      expect(stdout.trim().split('\n').every((line) => /^[A-Z_]+=\S+$/.test(line))).toBe(true); // logs go to stderr
      expect(stderr).toContain('coldStartMs');

      const ports = [
        Number(printed.PUBSUB_EMULATOR_HOST!.split(':')[1]),
        Number(printed.FIRESTORE_EMULATOR_HOST!.split(':')[1]),
        Number(new URL(printed.STORAGE_EMULATOR_HOST!).port),
        Number(new URL(printed.DATABASE_URL!).port),
        Number(printed.SFTP_PORT),
        Number(printed.SMTP_PORT),
        Number(new URL(printed.GOOGLE_API_ROOT!).port),
      ];
      for (const port of ports) expect(await portAnswers('127.0.0.1', port)).toBe(true);
      // It also deploys the listed pipelines and serves the ops API: ops.json for the CLI, the
      // dashboard URL on stderr (stdout stays NAME=value), the API answering its dev token.
      const opsFile = path.join(dataDir, 'ops.json');
      await waitFor('ops.json', () => {
        if (cli.exitCode !== null) throw new Error(`the CLI exited early (${cli.exitCode}):\n${stderr}`);
        return fs.existsSync(opsFile) ? true : undefined;
      }, 120_000);
      const ops = JSON.parse(fs.readFileSync(opsFile, 'utf8')) as { url: string; token: string; dashboard: string };
      await waitFor('the dashboard line', () => (stderr.includes(`dashboard: ${ops.dashboard}#token=${ops.token}`) ? true : undefined), 10_000);
      const pipelinesAnswer = await fetch(`${ops.url}/pipelines`, { headers: { authorization: `Bearer ${ops.token}` } });
      expect(pipelinesAnswer.status).toBe(200);
      expect((await pipelinesAnswer.text())).toContain('restaurant-pos');
      ports.push(Number(new URL(ops.url).port));

      const children = descendantsOf(cli.pid!);
      expect(children.length).toBeGreaterThanOrEqual(3); // two JVMs and a postmaster at least

      process.kill(cli.pid!, 'SIGTERM');
      expect(await exited).toBe(0);

      await waitFor('every child process to be gone', () => (children.some(isAlive) ? undefined : true), 15_000);
      expect(groupMembers(cli.pid!)).toEqual([]); // nothing left in the CLI's process group
      for (const port of ports) expect(await portAnswers('127.0.0.1', port)).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'emulator.env'))).toBe(false);
      expect(fs.existsSync(opsFile)).toBe(false);
    } finally {
      if (cli.exitCode === null) process.kill(-cli.pid!, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
