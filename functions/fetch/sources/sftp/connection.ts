// One SFTP connection to a pipeline's source, opened with the pinned host key and the source's
// secrets. Every failure leaves here as PermanentError or TransientError, as errors.ts beside it decides
// (configuration faults permanent, the network transient). Secret values never appear in a message
// or a log line.
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { ConnectOptions } from 'ssh2-sftp-client';
import { errorMessage } from '../../../../shared/errors';
import { fingerprintMatches, fingerprintOfHostKey } from '../../../../shared/host-key-fingerprint';
import type { Logger } from '../../../../shared/logger';
import { z } from 'zod';
import { ConfigError } from '../../../../shared/runtime-config';
import type { SftpSource } from './config';
import type { SecretReader } from '../../../runtime/context';
import { classifyConnectError, classifyOperationError, isNoSuchPath } from './errors';

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

// The local cloud's entry for SFTP in SLUICE_LOCAL_ENDPOINTS: its loopback server and that server's key.
const localSftpSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/).optional(),
});
export type LocalSftpEndpoint = z.infer<typeof localSftpSchema>;

export function localSftpEndpoint(localEndpoints: Readonly<Record<string, unknown>>): LocalSftpEndpoint | undefined {
  if (localEndpoints.sftp === undefined) return undefined;
  const parsed = localSftpSchema.safeParse(localEndpoints.sftp);
  if (!parsed.success) throw new ConfigError(`SLUICE_LOCAL_ENDPOINTS.sftp: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface ConnectSourceOptions {
  source: SftpSource;
  overrides?: LocalSftpEndpoint;
  secrets: SecretReader;
  logger: Logger;
  // How long the TCP connect + SSH handshake + login may take.
  readyTimeoutMs?: number;
}

// The local cloud points a pipeline at its own loopback server and pins that server's key instead.
export function endpointOf(source: SftpSource, overrides?: LocalSftpEndpoint): SftpEndpoint {
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
    throw classifyConnectError(error, {
      where,
      username: source.username,
      level: lastLevel,
      usesKey: privateKey !== undefined,
      ...(refusedKey !== undefined ? { refusedKey, pinnedKey: endpoint.hostKeyFingerprint } : {}),
    });
  }
  logger.debug('sftp connected', { host: endpoint.host, port: endpoint.port, username: source.username });

  return {
    endpoint,
    async listFiles(dir) {
      let entries: Awaited<ReturnType<SftpClient['list']>>;
      try {
        entries = await client.list(dir);
      } catch (error) {
        if (isNoSuchPath(error)) return null;
        throw classifyOperationError(error, `listing ${dir} on ${where}`, { missingIs: 'permanent' });
      }
      // '-' is a regular file in the ls-style long name; links are not followed on purpose (a link
      // could point at a file we would then fetch under two names).
      return entries
        .filter((entry) => entry.type === '-')
        .map((entry) => ({ name: entry.name, size: entry.size, mtimeMs: entry.modifyTime }));
    },
    openRead(path) {
      const what = `reading ${path} on ${where}`;
      let source: Readable;
      try {
        source = client.createReadStream(path) as Readable;
      } catch (error) {
        throw classifyOperationError(error, what);
      }
      // Errors leave the stream classified here, so whoever consumes it (the Cloud Storage upload)
      // sees a PermanentError or TransientError, not an SFTP status to misread as an HTTP one.
      const out = new PassThrough();
      source.on('error', (error: unknown) => out.destroy(classifyOperationError(error, what)));
      out.on('close', () => {
        if (!source.destroyed) source.destroy();
      });
      return source.pipe(out);
    },
    async close() {
      await client.end().catch((error: unknown) => logger.debug('sftp close failed', { error: errorMessage(error) }));
    },
  };
}
