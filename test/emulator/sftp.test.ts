import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SftpClient from 'ssh2-sftp-client';
import type { ConnectOptions } from 'ssh2-sftp-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUserKeyPair, startSftpServer } from '../../emulator/sftp-server';
import type { SftpServer } from '../../emulator/sftp-server';
import { fingerprintOfHostKey } from '../../shared/host-key-fingerprint';

// Real SFTP server on loopback, real ssh2-sftp-client: the same pair the runtime's SFTP stage uses.

const BIG_FILE_BYTES = 20 * 1024 * 1024;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

let workDir: string;
let root: string;
let outsideDir: string;
let server: SftpServer;
const bob = generateUserKeyPair('bob@test');
const clients: SftpClient[] = [];

function connectOptions(extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { host: server.host, port: server.port, username: 'alice', password: 'alice-secret', readyTimeout: 10_000, ...extra };
}

// The pin check a pipeline config performs: fingerprint of the offered key against the stored pin.
function pinnedVerifier(pin: string) {
  return (key: Buffer) => fingerprintOfHostKey(key) === pin;
}

async function connect(extra: Partial<ConnectOptions> = {}): Promise<SftpClient> {
  const client = new SftpClient();
  clients.push(client);
  await client.connect(connectOptions(extra));
  return client;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sftp-test-'));
  root = path.join(workDir, 'served');
  outsideDir = path.join(workDir, 'outside');
  await mkdir(path.join(root, 'exports'), { recursive: true });
  await mkdir(outsideDir);
  await writeFile(path.join(outsideDir, 'secret.txt'), 'must not leak');
  await writeFile(path.join(root, 'exports', 'orders.csv'), 'id,amount\n1,9.50\n2,12.00\n');
  // A symlink inside the root that points out of it must not open a door.
  await symlink(outsideDir, path.join(root, 'door'));
  server = await startSftpServer({
    root,
    users: [
      { username: 'alice', password: 'alice-secret' },
      { username: 'bob', publicKey: bob.publicKey },
    ],
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('SFTP server host key', () => {
  it('reports the fingerprint exactly as ssh-keygen -lf prints it', async () => {
    expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    if (!existsSync('/usr/bin/ssh-keygen')) return; // the format check above still ran
    const keyFile = path.join(workDir, 'host.pub');
    await writeFile(keyFile, server.hostPublicKey + '\n');
    const { stdout } = await promisify(execFile)('ssh-keygen', ['-lf', keyFile]);
    expect(stdout.split(' ')[1]).toBe(server.hostKeyFingerprint);
  });

  it('fetches a file with fastGet when the pinned fingerprint matches', async () => {
    const client = await connect({ hostVerifier: pinnedVerifier(server.hostKeyFingerprint) });
    const local = path.join(workDir, 'orders-fetched.csv');
    await client.fastGet('/exports/orders.csv', local);
    expect(await readFile(local, 'utf8')).toBe('id,amount\n1,9.50\n2,12.00\n');
  });

  it('refuses to connect when the pin does not match', async () => {
    const wrongPin = fingerprintOfHostKey(Buffer.from('some other key'));
    await expect(connect({ hostVerifier: pinnedVerifier(wrongPin) })).rejects.toThrow(/verification failed/i);
  });
});

describe('SFTP server authentication', () => {
  it('accepts a public key user who holds the private key', async () => {
    const client = await connect({ username: 'bob', password: undefined, privateKey: bob.privateKey });
    expect(await client.exists('/exports/orders.csv')).toBe('-');
  });

  it('refuses a different private key for the key user', async () => {
    const mallory = generateUserKeyPair('mallory');
    await expect(connect({ username: 'bob', password: undefined, privateKey: mallory.privateKey })).rejects.toThrow(
      /authentication/i,
    );
  });

  it('refuses a wrong password and an unknown user', async () => {
    await expect(connect({ password: 'wrong' })).rejects.toThrow(/authentication/i);
    await expect(connect({ username: 'nobody' })).rejects.toThrow(/authentication/i);
    // A key user has no password: an empty or any password must not get in.
    await expect(connect({ username: 'bob', password: '' })).rejects.toThrow(/authentication/i);
  });
});

describe('SFTP server file operations', () => {
  it('lists files with type, size and modification time', async () => {
    const client = await connect();
    const entries = await client.list('/exports');
    const orders = entries.find((e) => e.name === 'orders.csv');
    const onDisk = await stat(path.join(root, 'exports', 'orders.csv'));
    expect(orders).toMatchObject({ type: '-', size: onDisk.size });
    expect(orders?.modifyTime).toBe(Math.floor(onDisk.mtimeMs / 1000) * 1000);
    const top = await client.list('/');
    expect(top.find((e) => e.name === 'exports')?.type).toBe('d');
  });

  it('creates, writes, renames, stats and deletes like a pipeline would', async () => {
    const client = await connect();
    await client.mkdir('/inbound/2026/11', true);
    expect(await client.exists('/inbound/2026/11')).toBe('d');
    await client.put(Buffer.from('a,b\n1,2\n'), '/inbound/2026/11/part.tmp');
    await client.rename('/inbound/2026/11/part.tmp', '/inbound/2026/11/final.csv');
    // SFTP v3 rename does not replace an existing target.
    await client.put(Buffer.from('x'), '/inbound/2026/11/other.tmp');
    await expect(client.rename('/inbound/2026/11/other.tmp', '/inbound/2026/11/final.csv')).rejects.toThrow();
    const info = await client.stat('/inbound/2026/11/final.csv');
    expect(info).toMatchObject({ isFile: true, size: 8 });
    expect(((await client.get('/inbound/2026/11/final.csv')) as Buffer).toString()).toBe('a,b\n1,2\n');
    await client.delete('/inbound/2026/11/final.csv');
    expect(await client.exists('/inbound/2026/11/final.csv')).toBe(false);
    expect(await readFile(path.join(root, 'inbound', '2026', '11', 'other.tmp'), 'utf8')).toBe('x');
    await expect(client.get('/no/such/file.csv')).rejects.toThrow();
  });

  it('keeps every path inside the served root', async () => {
    const client = await connect();
    expect(await client.realPath('../..')).toBe('/');
    const fromParent = await client.list('/../..');
    expect(fromParent.map((e) => e.name).sort()).toEqual((await client.list('/')).map((e) => e.name).sort());
    await expect(client.get('../../outside/secret.txt')).rejects.toThrow();
    await expect(client.get('/door/secret.txt')).rejects.toThrow();
    await expect(client.list('/door')).rejects.toThrow();
    // A write aimed above the root lands inside it.
    await client.put(Buffer.from('stays in'), '../../escape.txt');
    expect(await readFile(path.join(root, 'escape.txt'), 'utf8')).toBe('stays in');
    expect(existsSync(path.join(workDir, 'escape.txt'))).toBe(false);
  });

  it('round-trips a 20 MB file through fastPut and fastGet unchanged', async () => {
    const original = path.join(workDir, 'big-original.bin');
    await writeFile(original, randomBytes(BIG_FILE_BYTES));
    const client = await connect({ hostVerifier: pinnedVerifier(server.hostKeyFingerprint) });
    await client.fastPut(original, '/exports/big.bin');
    const fetched = path.join(workDir, 'big-fetched.bin');
    await client.fastGet('/exports/big.bin', fetched);
    const want = await sha256OfFile(original);
    expect(await sha256OfFile(path.join(root, 'exports', 'big.bin'))).toBe(want);
    expect(await sha256OfFile(fetched)).toBe(want);
    expect((await client.stat('/exports/big.bin')).size).toBe(BIG_FILE_BYTES);
  });
});

describe('SFTP server with the OpenSSH client', () => {
  // The sftp command line tool checks the host key against known_hosts itself and waits for the
  // server to close the channel at the end of a batch: a second, independent client implementation.
  it.skipIf(!existsSync('/usr/bin/sftp'))('runs a batch of commands with key auth and a known_hosts pin', async () => {
    const keyFile = path.join(workDir, 'bob.key');
    await writeFile(keyFile, bob.privateKey);
    await chmod(keyFile, 0o600);
    const knownHosts = path.join(workDir, 'known_hosts');
    await writeFile(knownHosts, `[${server.host}]:${server.port} ${server.hostPublicKey}\n`);
    const batch = path.join(workDir, 'batch.txt');
    const local = path.join(workDir, 'orders-openssh.csv');
    await writeFile(batch, `get /exports/orders.csv ${local}\nmkdir /openssh\nput ${local} /openssh/copy.csv\nls -l /openssh\n`);
    const { stdout } = await promisify(execFile)(
      'sftp',
      ['-b', batch, '-i', keyFile, '-P', String(server.port), '-o', `UserKnownHostsFile=${knownHosts}`,
        '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', `bob@${server.host}`],
      { timeout: 30_000 },
    );
    expect(stdout).toMatch(/copy\.csv/);
    expect(await readFile(path.join(root, 'openssh', 'copy.csv'), 'utf8')).toBe(await readFile(local, 'utf8'));
  });
});

describe('SFTP server stop', () => {
  it('closes open client connections', async () => {
    const ownRoot = await mkdtemp(path.join(os.tmpdir(), 'sluice-sftp-stop-'));
    const own = await startSftpServer({ root: ownRoot, users: [{ username: 'u', password: 'p' }] });
    try {
      const client = new SftpClient();
      await client.connect({ host: own.host, port: own.port, username: 'u', password: 'p' });
      const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
      await own.stop();
      await closed;
      await expect(client.list('/')).rejects.toThrow();
    } finally {
      await own.stop();
      await rm(ownRoot, { recursive: true, force: true });
    }
  });
});

describe('fault injection', () => {
  it('cuts the connection once a client reads past the given offset of a file, and only while asked', async () => {
    const name = path.join(root, 'exports', 'cut-me.bin');
    await writeFile(name, randomBytes(1024 * 1024));
    server.setFaults({ cutAfterBytes: (p) => (p.endsWith('/cut-me.bin') ? 300 * 1024 : undefined) });
    try {
      const client = await connect();
      await expect(client.get('/exports/cut-me.bin')).rejects.toThrow();
    } finally {
      server.setFaults(undefined);
    }
    const again = await connect();
    const data = (await again.get('/exports/cut-me.bin')) as Buffer;
    expect(data.length).toBe(1024 * 1024);
  });
});
