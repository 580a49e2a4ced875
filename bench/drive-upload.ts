// Bench part `drive`: a large file (200 MB; --quick 20 MB) copied from the GCS emulator to the local
// Google API double through the Drive destination's resumable upload (1 MiB chunks), in a child process
// of its own so its peak RSS is the upload's (drive-upload-worker.ts). Baseline: the same object only
// read from the GCS emulator by the same code, in the same kind of process. Goal: peak RSS < 150 MB.
import { runJsonChild } from './run-worker';
import { build } from 'esbuild';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import { startGcsEmulator } from '../emulator/gcs/index';
import { GoogleApiDoubleClient } from '../emulator/google-apis/double-client';
import { startGoogleApiDouble } from '../emulator/google-apis/index';
import { createLogger } from '../shared/logger';
import { benchTempDir, onCleanup } from './cleanup';
import type { DriveWorkerInput, DriveWorkerOutput } from './drive-upload-worker';
import type { Options } from './options';
import { OAuth2Client } from 'google-auth-library';
import { drive_v3 } from 'googleapis/build/src/apis/drive/v3';

export interface DrivePart { megabytes: number; read: DriveWorkerOutput; upload: DriveWorkerOutput; uploadMBps: number; readMBps: number; goalRssMB: number }

const USER = 'bench@example.com';

// The worker runs compiled by esbuild, as the deployed function runs (a bundle, no TypeScript loader):
// under tsx the loader alone adds tens of MB to the peak RSS being measured. Packages stay external
// (node_modules is loaded as the function's bundle would carry it).
// Written inside the repository (.sluice/) so its bare imports resolve to this node_modules.
async function bundleWorker(): Promise<string> {
  const outfile = path.resolve(import.meta.dirname, '..', '.sluice', 'bench-drive-upload-worker.mjs');
  await build({
    entryPoints: [path.join(import.meta.dirname, 'drive-upload-worker.ts')], outfile, bundle: true, platform: 'node', format: 'esm',
    packages: 'external', logLevel: 'silent', absWorkingDir: path.resolve(import.meta.dirname, '..'),
  });
  return outfile;
}

function runDriveWorker(worker: string, input: DriveWorkerInput): Promise<DriveWorkerOutput> {
  return runJsonChild<DriveWorkerOutput>('drive worker', [worker, JSON.stringify(input)]);
}

// Deterministic bytes, generated as they are written (never held whole).
function generated(total: number): Readable {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) % 256;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(block.length, total - sent);
      sent += n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

export async function benchDriveUpload(options: Pick<Options, 'quick'>, log: (message: string) => void): Promise<DrivePart> {
  const megabytes = options.quick ? 20 : 200;
  const { dir, remove } = benchTempDir('sluice-bench-drive-');
  const steps: Array<() => Promise<void>> = [remove];
  try {
    const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
    log(`drive: starting the GCS emulator and the Google API double; writing ${megabytes} MB`);
    const gcs = await startGcsEmulator({ dataDir: path.join(dir, 'gcs'), logger: quiet });
    steps.push(onCleanup('stop the GCS emulator', () => gcs.stop()));
    const double = await startGoogleApiDouble({ logger: quiet });
    steps.push(onCleanup('stop the Google API double', () => double.stop()));
    const storage = new Storage({ projectId: 'sluice-bench', apiEndpoint: gcs.url });
    const [bucket] = await storage.createBucket('sluice-bench-drive');
    const object = 'archive/pos/r1/20261130/pos-export.bin';
    await pipeline(generated(megabytes * 1024 * 1024), bucket.file(object).createWriteStream({ resumable: false, metadata: { contentType: 'application/octet-stream' } }));

    const seed = new GoogleApiDoubleClient(double);
    await seed.registerOAuthClient({ clientId: 'bench-client', clientSecret: 'bench-secret' });
    const refreshToken = await seed.issueRefreshToken({ clientId: 'bench-client', user: USER, scopes: ['drive'] });
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: await seed.issueAccessToken({ principal: USER, scopes: ['drive'] }) });
    const folder = await new drive_v3.Drive({ auth, rootUrl: double.apiRoot }).files.create({ fields: 'id', requestBody: { name: 'bench', mimeType: 'application/vnd.google-apps.folder' } }, { rootUrl: double.apiRoot });
    const folderId = folder.data.id!;
    const input: Omit<DriveWorkerInput, 'mode'> = {
      storageUrl: gcs.url, bucket: bucket.name, object, folderId,
      google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl },
      secrets: { 'client-id': 'bench-client', 'client-secret': 'bench-secret', 'refresh-token': refreshToken },
    };
    log('drive: reading the object (baseline)');
    const worker = await bundleWorker();
    const read = await runDriveWorker(worker, { ...input, mode: 'read' });
    log('drive: uploading it to the double');
    const upload = await runDriveWorker(worker, { ...input, mode: 'upload' });
    if (upload.bytes !== megabytes * 1024 * 1024) throw new Error(`the drive worker uploaded ${upload.bytes} bytes`);
    return { megabytes, read, upload, uploadMBps: megabytes / upload.seconds, readMBps: megabytes / read.seconds, goalRssMB: 150 };
  } finally {
    for (const step of steps.splice(0).reverse()) await step();
  }
}

export function formatDrive(part: DrivePart): string {
  const row = (what: string, r: DriveWorkerOutput, mbps: number) => `${what.padEnd(28)} ${r.seconds.toFixed(2).padStart(8)} s ${mbps.toFixed(1).padStart(8)} MB/s ${r.peakRssMB.toFixed(0).padStart(6)} MB peak RSS`;
  return [
    row(`GCS read, ${part.megabytes} MB`, part.read, part.readMBps),
    row(`Drive resumable upload`, part.upload, part.uploadMBps),
    `peak RSS goal < ${part.goalRssMB} MB: ${part.upload.peakRssMB < part.goalRssMB ? 'met' : 'NOT met'}`,
  ].join('\n');
}
