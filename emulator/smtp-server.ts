import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { silentLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';

// The local cloud's mail relay: pipelines send their reports and alerts here instead of a real
// provider, and every message lands as one .eml file in an outbox directory that tests and people
// can open. Plain SMTP on loopback: no TLS, any credentials (or none) accepted.

export interface SmtpServerOptions {
  /** Where .eml files are written; created if absent. */
  outboxDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  logger?: Logger;
}

export interface SmtpServer {
  host: string;
  port: number;
  outboxDir: string;
  /** Stops listening; connections still open are closed after a short grace period. */
  stop(): Promise<void>;
  /**
   * Resolves, once at least `n` messages have been stored since start, with the paths of all
   * messages stored so far, in the order they were stored. Rejects after `timeoutMs` (default 10 s).
   */
  waitForMessages(n: number, timeoutMs?: number): Promise<string[]>;
}

// How long stop() lets a connected client finish before the server hangs up on it.
const CLOSE_GRACE_MS = 500;
const DEFAULT_WAIT_MS = 10_000;

// "20261122T130501.123Z": sorts by time as text and reads as UTC.
function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

// Headers a delivering MTA adds: the envelope is not in the message itself (Bcc recipients are
// only in the envelope), and tests need it to see who a message really went to.
function envelopeHeaders(session: SMTPServerSession): string {
  const { mailFrom, rcptTo } = session.envelope;
  const from = mailFrom ? mailFrom.address : '';
  const to = rcptTo.map((r) => `<${r.address}>`).join(', ');
  return `Return-Path: <${from}>\r\nX-Sluice-Envelope-To: ${to}\r\n`;
}

interface Waiter {
  n: number;
  resolve: (paths: string[]) => void;
}

export async function startSmtpServer(options: SmtpServerOptions): Promise<SmtpServer> {
  const log = (options.logger ?? silentLogger).child({ component: 'smtp-server' });
  const outboxDir = path.resolve(options.outboxDir);
  await mkdir(outboxDir, { recursive: true });

  const stored: string[] = [];
  let waiters: Waiter[] = [];
  let sequence = 0;

  const notifyWaiters = () => {
    const ready = waiters.filter((w) => stored.length >= w.n);
    waiters = waiters.filter((w) => stored.length < w.n);
    for (const w of ready) w.resolve([...stored]);
  };

  // Streams the message to a hidden temp file, then renames it to its .eml name: a reader that
  // lists the outbox sees a message whole or not at all.
  async function storeMessage(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const seq = ++sequence;
    const name = `${compactTimestamp(new Date())}-${String(seq).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
    const finalPath = path.join(outboxDir, name);
    const tempPath = path.join(outboxDir, `.${name}.partial`);
    try {
      async function* withEnvelope() {
        yield Buffer.from(envelopeHeaders(session));
        for await (const chunk of stream) yield chunk as Buffer;
      }
      await pipeline(Readable.from(withEnvelope()), createWriteStream(tempPath, { flags: 'wx' }));
      if (stream.sizeExceeded) throw Object.assign(new Error('message too large'), { responseCode: 552 });
      await rename(tempPath, finalPath);
      return finalPath;
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  const server = new SMTPServer({
    banner: 'Sluice local SMTP',
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    // Loopback only: a reverse DNS lookup per connection would just add latency.
    disableReverseLookup: true,
    closeTimeout: CLOSE_GRACE_MS,
    // Any user and password are fine: the emulator checks what is sent, not who sends it.
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      storeMessage(stream, session).then(
        (file) => {
          stored.push(file);
          log.info('smtp message stored', {
            file: path.basename(file),
            bytes: stream.byteLength,
            recipients: session.envelope.rcptTo.length,
          });
          callback();
          notifyWaiters();
        },
        (error: unknown) => {
          log.error('smtp message not stored', { error });
          // Drain what is left so the SMTP conversation can continue with an error reply.
          stream.resume();
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
  });
  server.on('error', (error) => log.warn('smtp connection error', { error }));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP server has no TCP address');
  log.info('smtp server listening', { host, port: address.port, outboxDir });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => server.close(resolve)).then(() =>
      log.info('smtp server stopped', { port: address.port }),
    );
    return stopping;
  };

  const waitForMessages = (n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<string[]> => {
    if (stored.length >= n) return Promise.resolve([...stored]);
    return new Promise<string[]>((resolve, reject) => {
      const waiter: Waiter = {
        n,
        resolve: (paths) => {
          clearTimeout(timer);
          resolve(paths);
        },
      };
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        reject(new Error(`expected ${n} message(s) in ${outboxDir} within ${timeoutMs} ms, got ${stored.length}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  return { host, port: address.port, outboxDir, stop, waitForMessages };
}
