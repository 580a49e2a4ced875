import { mkdir, realpath } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { fingerprintOfHostKey } from '../shared/host-key-fingerprint';
import { silentLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { authenticate, prepareUsers } from './sftp/auth';
import type { SftpUser } from './sftp/auth';
import { serveSftpSession, type SftpFaults } from './sftp/session';
export type { SftpFaults } from './sftp/session';

// The local cloud's SFTP server: the partner endpoint pipelines pull exports from and push files
// to. SFTP only (no shell, no exec, no forwarding), a directory on disk served as "/", password or
// public-key users, and a host key whose fingerprint configs pin exactly as they would in production.

export type { SftpUser } from './sftp/auth';
export { fingerprintOfHostKey } from '../shared/host-key-fingerprint';

export interface SftpServerOptions {
  /** Directory served as "/"; created if absent. Clients cannot reach anything outside it. */
  root: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  users: SftpUser[];
  /** PEM/OpenSSH private key; an ed25519 key is generated when absent. */
  hostKey?: string | Buffer;
  logger?: Logger;
  // Reliability tests only: faults the server injects (see SftpFaults). Changeable while it runs.
  faults?: SftpFaults;
}

export interface SftpServer {
  host: string;
  port: number;
  /** "SHA256:<base64 without padding>", as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** OpenSSH public key line of the host key ("ssh-ed25519 AAAA..."). */
  hostPublicKey: string;
  /** Replaces the injected faults (undefined: none). */
  setFaults(faults: SftpFaults | undefined): void;
  /** Stops listening and ends every open client connection. */
  stop(): Promise<void>;
}

// After asking clients to disconnect, how long to wait before cutting their sockets.
const DISCONNECT_GRACE_MS = 1_000;

/**
 * An ed25519 key pair in OpenSSH formats, for the host, test users and the demo. ssh2 1.17 writes about
 * one key in three hundred that its own parser then rejects ("Malformed OpenSSH private key"), so a key
 * is only handed out once it parses.
 */
export function generateUserKeyPair(comment = 'sluice-local'): { privateKey: string; publicKey: string } {
  for (let attempt = 1; ; attempt++) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(keys.private) instanceof Error)) return { privateKey: keys.private, publicKey: keys.public };
    if (attempt === 20) throw new Error('ssh2 produced no parsable ed25519 key in 20 attempts');
  }
}

function parseHostKey(hostKey: string | Buffer) {
  const parsed = ssh2.utils.parseKey(hostKey);
  if (parsed instanceof Error) throw new Error(`SFTP host key does not parse: ${parsed.message}`);
  if (!parsed.isPrivateKey()) throw new Error('SFTP host key must be a private key');
  return parsed;
}

export async function startSftpServer(options: SftpServerOptions): Promise<SftpServer> {
  const log = (options.logger ?? silentLogger).child({ component: 'sftp-server' });
  await mkdir(options.root, { recursive: true });
  // Resolve symlinks in the root itself once, so containment checks compare real paths.
  const rootReal = await realpath(options.root);
  const users = prepareUsers(options.users);
  const hostKeyText = options.hostKey ?? generateUserKeyPair('sluice-local-sftp').privateKey;
  const hostKey = parseHostKey(hostKeyText);
  const hostKeyBlob = hostKey.getPublicSSH();
  const hostKeyFingerprint = fingerprintOfHostKey(hostKeyBlob);
  const hostPublicKey = `${hostKey.type} ${hostKeyBlob.toString('base64')}`;

  const connections = new Set<Connection>();
  let faults = options.faults;
  let connectionCounter = 0;

  const server = new ssh2.Server({ hostKeys: [hostKeyText] }, (client, info) => {
    const clog = log.child({ connection: ++connectionCounter, remote: `${info.ip}:${info.port}` });
    connections.add(client);
    let username: string | undefined;
    client.on('authentication', (ctx) => {
      const outcome = authenticate(ctx, users);
      if (outcome === 'accepted') username = ctx.username;
      if (outcome !== 'key-ok' && ctx.method !== 'none') clog.info('sftp authentication', { user: ctx.username, method: ctx.method, outcome });
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          clog.info('sftp session opened', { user: username });
          serveSftpSession(acceptSftp(), rootReal, clog, {
            faults: { cutAfterBytes: (p) => faults?.cutAfterBytes?.(p), onCut: (p) => faults?.onCut?.(p) },
            disconnect: () => (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy(),
          });
        });
        // Everything that is not SFTP is refused, like an `internal-sftp` only account.
        session.on('exec', (_accept, reject) => reject());
        session.on('shell', (_accept, reject) => reject());
        session.on('pty', (_accept, reject) => reject?.());
        session.on('subsystem', (_accept, reject) => reject());
      });
      client.on('tcpip', (_accept, reject) => reject());
      client.on('request', (_accept, reject) => reject?.());
    });
    // Protocol errors of one client (bad handshake, reset socket) must not take the server down.
    client.on('error', (error) => clog.debug('sftp connection error', { error }));
    client.on('close', () => {
      connections.delete(client);
      clog.debug('sftp connection closed', { user: username });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error: Error) => log.error('sftp server error', { error }));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('SFTP server has no TCP address');
  log.info('sftp server listening', { host, port: address.port, fingerprint: hostKeyFingerprint, root: rootReal });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      // end() sends DISCONNECT and half-closes; a client that never closes its side is cut off
      // (ssh2 exposes no public way to destroy a connection's socket).
      const cutoff = setTimeout(() => {
        for (const client of connections) (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
      }, DISCONNECT_GRACE_MS);
      server.close(() => {
        clearTimeout(cutoff);
        resolve();
      });
      for (const client of connections) client.end();
    }).then(() => log.info('sftp server stopped', { port: address.port }));
    return stopping;
  };

  return { host, port: address.port, hostKeyFingerprint, hostPublicKey, setFaults: (f) => (faults = f), stop };
}
