// One SFTP connection to a pipeline's source, opened with the pinned host key and the source's
// secrets. Every failure leaves here as PermanentError (configuration: wrong key, refused login,
// unreadable private key; retrying will not help) or TransientError (network, timeouts, a server
// hiccup; Pub/Sub redelivers). Secret values never appear in a message or a log line.
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { ConnectOptions } from 'ssh2-sftp-client';
import { PermanentError, TransientError, errorMessage } from '../../shared/errors';
import { fingerprintMatches, fingerprintOfHostKey } from '../../shared/host-key-fingerprint';
import type { Logger } from '../../shared/logger';
import type { SftpSource } from '../../shared/pipeline-definition';
import type { SecretReader, StageContext } from '../runtime/context';

export interface SftpEndpoint {
  host: string;
  port: number;
  hostKeyFingerprint: string;
}

export interface RemoteFile {
  name: string;
  size: number;
  // SFTP v3 gives whole seconds; kept in milliseconds like Date.
  mtimeMs: number;
}

export interface SourceConnection {
  readonly endpoint: SftpEndpoint;
  // Regular files of a directory (no directories, links or devices); null when the directory does not exist.
  listFiles(dir: string): Promise<RemoteFile[] | null>;
  // A stream of the file's bytes; errors arrive on the stream.
  openRead(path: string): Readable;
  close(): Promise<void>;
}

export interface ConnectSourceOptions {
  source: SftpSource;
  overrides?: StageContext['overrides']['sftp'];
  secrets: SecretReader;
  logger: Logger;
  // How long the TCP connect + SSH handshake + login may take.
  readyTimeoutMs?: number;
}

// SFTP status code "no such file" (SSH_FX_NO_SUCH_FILE), as ssh2-sftp-client passes it through.
const NO_SUCH_FILE = 2;

// The local cloud points a pipeline at its own loopback server and pins that server's key instead.
export function endpointOf(source: SftpSource, overrides?: StageContext['overrides']['sftp']): SftpEndpoint {
  if (!overrides) return { host: source.host, port: source.port, hostKeyFingerprint: source.hostKeyFingerprint };
  return { host: overrides.host, port: overrides.port, hostKeyFingerprint: overrides.hostKeyFingerprint ?? source.hostKeyFingerprint };
}

export async function connectSource(options: ConnectSourceOptions): Promise<SourceConnection> {
  const { source, logger } = options;
  const endpoint = endpointOf(source, options.overrides);
  const where = `${endpoint.host}:${endpoint.port}`;
  const password = source.password ? await options.secrets.read(source.password.secret) : undefined;
  const privateKey = source.privateKey ? await options.secrets.read(source.privateKey.secret) : undefined;

  // Filled by the verifier so a refusal can name both keys (public values) instead of ssh2's
  // generic "Host denied".
  let refusedKey: string | undefined;
  // ssh2-sftp-client rewraps errors and drops ssh2's `level`; the raw client's event still has it.
  let lastLevel: string | undefined;

  const client = new SftpClient('sluice-fetch', {
    // Without these the library writes to the console; a late error after close is only worth a debug line.
    error: (error: unknown) => logger.debug('sftp connection error', { error: errorMessage(error) }),
    end: () => undefined,
    close: () => undefined,
  });
  client.on('error', (error: Error & { level?: string }) => {
    lastLevel = error.level;
  });

  const config: ConnectOptions = {
    host: endpoint.host,
    port: endpoint.port,
    username: source.username,
    readyTimeout: options.readyTimeoutMs ?? 20_000,
    // A dead peer mid-transfer surfaces as an error within ~30 s instead of hanging until the function times out.
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer) => {
      if (fingerprintMatches(endpoint.hostKeyFingerprint, key)) return true;
      refusedKey = fingerprintOfHostKey(key);
      return false;
    },
  };
  if (password !== undefined) config.password = password;
  if (privateKey !== undefined) config.privateKey = privateKey;

  try {
    await client.connect(config);
  } catch (error) {
    await client.end().catch(() => undefined);
    if (refusedKey !== undefined) {
      throw new PermanentError(
        `SFTP server ${where} offered host key ${refusedKey}, but the pipeline pins ${endpoint.hostKeyFingerprint}; refusing to connect`,
      );
    }
    throw classifyConnectError(error, { where, username: source.username, level: lastLevel, usesKey: privateKey !== undefined });
  }
  logger.debug('sftp connected', { host: endpoint.host, port: endpoint.port, username: source.username });

  return {
    endpoint,
    async listFiles(dir) {
      let entries: Awaited<ReturnType<SftpClient['list']>>;
      try {
        entries = await client.list(dir);
      } catch (error) {
        if ((error as { code?: unknown }).code === NO_SUCH_FILE) return null;
        throw classifyOperationError(error, `listing ${dir} on ${where}`);
      }
      // '-' is a regular file in the ls-style long name; links are not followed on purpose (a link
      // could point at a file we would then fetch under two names).
      return entries
        .filter((entry) => entry.type === '-')
        .map((entry) => ({ name: entry.name, size: entry.size, mtimeMs: entry.modifyTime }));
    },
    openRead(path) {
      try {
        return client.createReadStream(path) as Readable;
      } catch (error) {
        throw classifyOperationError(error, `reading ${path} on ${where}`);
      }
    },
    async close() {
      await client.end().catch((error: unknown) => logger.debug('sftp close failed', { error: errorMessage(error) }));
    },
  };
}

interface ConnectFailure {
  where: string;
  username: string;
  level: string | undefined;
  usesKey: boolean;
}

// Login refusals and unusable keys are configuration faults; everything else (DNS, refused or reset
// connections, handshake timeouts) may pass.
export function classifyConnectError(error: unknown, failure: ConnectFailure): Error {
  const message = errorMessage(error);
  if (failure.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new PermanentError(`SFTP server ${failure.where} refused the login of user "${failure.username}" (check the source's password/privateKey secret)`);
  }
  if (failure.usesKey && /parse privateKey|privateKey value|encrypted private OpenSSH key/i.test(message)) {
    // The library's own text is left out: it could quote part of the key.
    return new PermanentError(`the SFTP source's privateKey secret does not hold a usable private key (unencrypted OpenSSH or PEM)`);
  }
  return new TransientError(`cannot connect to SFTP server ${failure.where}: ${message}`, { cause: error });
}

export function classifyOperationError(error: unknown, what: string): Error {
  const code = (error as { code?: unknown }).code;
  // SSH_FX_PERMISSION_DENIED (3) or EACCES: the account cannot see the export, a setup fault.
  if (code === 3 || code === 'EACCES') return new PermanentError(`permission denied ${what}`);
  return new TransientError(`failed ${what}: ${errorMessage(error)}`, { cause: error });
}
