// The servers a bench part measures against: the GCS emulator (on disk) and an embedded PostgreSQL
// (fsync off), in a temp folder of their own, plus an admin pool. `close()` (also run on failure and
// on SIGINT through cleanup.ts) ends the pool BEFORE stopping PostgreSQL and waits for its sockets to
// close: pg's Pool.end() resolves before its clients' sockets are closed, and PostgreSQL's fast shutdown
// then sends those still-open sessions 57P01 (admin shutdown), which an idle client re-emits on the
// pool — with no 'error' listener that killed the bench with exit 1 after it had printed its table.
import crypto from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { Storage, type Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { startGcsEmulator } from '../emulator/gcs/index';
import { startPostgres } from '../emulator/postgres';
import { createLogger } from '../shared/logger';
import { benchTempDir, onCleanup } from './cleanup';

export interface BenchServers {
  tmp: string;
  storageUrl: string;
  databaseUrl: string;
  bucket: Bucket;
  db: pg.Pool;
  close(): Promise<void>;
}

export async function startBenchServers(label: string, log: (message: string) => void): Promise<BenchServers> {
  const { dir: tmp, remove } = benchTempDir(`sluice-bench-${label}-`);
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  const steps: Array<() => Promise<void>> = [remove];
  const close = async () => {
    for (const step of steps.splice(0).reverse()) await step();
  };
  try {
    log(`${label}: starting the GCS emulator and PostgreSQL`);
    const gcs = await startGcsEmulator({ dataDir: path.join(tmp, 'gcs'), logger: quiet });
    steps.push(onCleanup('stop the GCS emulator', () => gcs.stop()));
    const postgres = await startPostgres({ dataDir: path.join(tmp, 'postgres'), password: crypto.randomBytes(12).toString('hex'), fast: true, logger: quiet });
    steps.push(onCleanup('stop PostgreSQL', () => postgres.stop()));
    const db = new pg.Pool({ connectionString: postgres.databaseUrl, max: 2 });
    // An idle client's connection error (e.g. the server going away) must not crash the bench.
    db.on('error', (error) => log(`database pool client error: ${error.message}`));
    const clients = new Set<pg.PoolClient>();
    db.on('connect', (client) => {
      clients.add(client);
      client.once('end', () => clients.delete(client));
    });
    steps.push(onCleanup('end the database pool', async () => {
      const closing = [...clients].map((c) => once(c, 'end'));
      await db.end();
      await Promise.all(closing);
    }));
    const storage = new Storage({ projectId: 'sluice-bench', apiEndpoint: gcs.url });
    const [bucket] = await storage.createBucket('sluice-bench');
    return { tmp, storageUrl: gcs.url, databaseUrl: postgres.databaseUrl, bucket, db, close };
  } catch (error) {
    await close();
    throw error;
  }
}
