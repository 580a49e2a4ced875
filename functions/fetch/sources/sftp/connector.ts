// The SFTP source behind the connector seam: a run's window is `lookbackDays` export dates ending at
// today + `dateOffsetDays` (or the trigger's date); its items are the regular files in each date's
// directory (the path template) whose base name fits the glob, oldest date first, by name.
import picomatch from 'picomatch';
import { fileLocationProblem } from '../../../../shared/object-names';
import { compactDate, exportDates } from '../../export-dates';
import { hashSource } from '../../exact-content';
import type { SourceConnector, SourceItem, SourceProbeRuntime, SourceRuntime, SourceSession } from '../source-connector';
import type { SftpSource } from './config';
import { connectSource, localSftpEndpoint } from './connection';
import type { RemoteFile, SourceConnection } from './connection';
import { classifyOperationError } from './errors';
import { sftpVersionOf } from './file-version';
import { expandPathTemplate, joinRemote } from './path-template';

export interface SftpConnectorOptions {
  // How long the TCP connect + SSH handshake + login may take.
  readyTimeoutMs?: number;
}

export function createSftpConnector(options: SftpConnectorOptions = {}): SourceConnector<SftpSource> {
  // The connection a run lists over and a health probe opens and closes: one way to open it.
  const open = (source: SftpSource, runtime: SourceProbeRuntime) => connectSource({
    source,
    overrides: localSftpEndpoint(runtime.localEndpoints),
    secrets: runtime.secrets,
    logger: runtime.logger,
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  return {
    kind: 'sftp',
    windowOf: (source, at) => exportDates({
      ...(at.date !== undefined ? { date: at.date } : {}),
      now: at.now,
      timeZone: at.timeZone,
      dateOffsetDays: source.dateOffsetDays,
      lookbackDays: source.lookbackDays,
    }),
    async connect(source, runtime) {
      // Template errors surface before any connection is opened.
      const dirs = runtime.dates.map((date) => ({ date, dir: expandPathTemplate(source.path, date, source.params) }));
      return session(source, runtime, await open(source, runtime), dirs);
    },
    // Connect (TCP, SSH handshake with the pinned host key, login) and close: the source answers.
    async probe(source, runtime) {
      await (await open(source, runtime)).close();
    },
  };
}

export const sftpConnector = createSftpConnector();

function session(source: SftpSource, runtime: SourceRuntime, conn: SourceConnection, dirs: Array<{ date: string; dir: string }>): SourceSession {
  const matches = picomatch(source.glob);
  const warnings: string[] = [];
  return {
    async *list() {
      warnings.length = 0;
      for (const { date, dir } of dirs) {
        const listed = await conn.listFiles(dir);
        if (listed === null) {
          runtime.logger.warn('no export for date', { date, dir });
          warnings.push(`no export for ${date}: the directory ${dir} does not exist on the SFTP server`);
          continue;
        }
        const files = listed.filter((file) => matches(file.name)).sort((a, b) => a.name.localeCompare(b.name));
        runtime.logger.info('export listed', { date, dir, files: files.length, ignored: listed.length - files.length });
        if (files.length === 0) warnings.push(`no export for ${date}: the directory ${dir} holds no file matching "${source.glob}"`);
        for (const file of files) yield await itemOf(source, runtime, conn, date, dir, file);
      }
    },
    close: () => conn.close(),
    warnings: () => [...warnings],
  };
}

async function itemOf(source: SftpSource, runtime: SourceRuntime, conn: SourceConnection, date: string, dir: string, file: RemoteFile): Promise<SourceItem> {
  // Date directory + base name: the same file name on two days never collides in one run.
  const path = `${compactDate(date)}/${file.name}`;
  const remotePath = joinRemote(dir, file.name);
  // By content, the version is known only once the bytes are hashed, and it must be known to claim
  // it: so the file is read here once to hash (memory bounded), and fetch checks the hash again on
  // the copy. A name fetch will refuse is never read (its version is then the metadata form).
  const refused = fileLocationProblem({ pipeline: runtime.pipeline, runId: runtime.runId, path }) !== null;
  const sha256 = source.changeDetection === 'content' && !refused
    ? await hashSource(conn.openRead(remotePath), file.size, remotePath).catch((error: unknown) => {
      throw classifyOperationError(error, `hashing ${remotePath}`);
    })
    : undefined;
  return {
    key: remotePath,
    version: sftpVersionOf({ size: file.size, mtimeMs: file.mtimeMs, ...(sha256 !== undefined ? { sha256 } : {}) }),
    path,
    source: remotePath,
    size: file.size,
    modifiedMs: file.mtimeMs,
    ...(sha256 !== undefined ? { sha256 } : {}),
    open: async () => conn.openRead(remotePath),
  };
}
