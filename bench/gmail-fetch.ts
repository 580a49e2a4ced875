// Part "gmail": the fetch handler with the Gmail source reading --gmail-messages (1,000) mails × 2
// attachments from the local Google API double, staging them into the GCS emulator, then labelling
// them → mails/s, peak RSS of the fetch process, and the Gmail API quota units spent per mail (from
// the double's request log and its quota table; goal ≤ 15). The fetch runs in a child process (this
// file with --worker), so its peak RSS is its own, not the double's or the emulators'.
import { runJsonChild } from './run-worker';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { GoogleApiDoubleClient } from '../emulator/google-apis/double-client';
import { buildEml } from '../emulator/google-apis/fixtures/build-eml';
import { startGoogleApiDouble } from '../emulator/google-apis/index';
import { startFirestoreEmulator } from '../emulator/firestore-emulator';
import { startGcsEmulator } from '../emulator/gcs/index';
import { createFetchHandler } from '../functions/fetch/handler';
import { createLogger } from '../shared/logger';
import { definePipeline } from '../shared/pipeline-definition';
import { createTestContext } from '../test/support/stage-test-context';
import { benchTempDir, onCleanup } from './cleanup';
import { count, formatTable, mb, perSec } from './print-table';

export const GMAIL_GOALS = { quotaUnitsPerMessage: 15 };
const CLIENT_ID = 'sluice-bench.apps.googleusercontent.com';
const USER = 'finance@bench.example';
const ATTACHMENT_BYTES = 8 * 1024;

export interface GmailPart {
  messages: number;
  attachments: number;
  ms: number;
  messagesPerSec: number;
  maxRssMB: number;
  quotaUnits: number;
  quotaUnitsPerMessage: number;
  // Gmail calls by method, as the double logged them.
  calls: Record<string, number>;
  targets: { quotaUnitsPerMessageAtMost15: boolean };
}

interface WorkerInput {
  storageUrl: string;
  firestoreHost: string;
  bucket: string;
  secretsDir: string;
  google: { apiRoot: string; tokenUrl: string; authUrl: string };
}

interface WorkerOutput { ms: number; maxRssBytes: number; error?: string }

function benchPipeline() {
  return definePipeline({
    name: 'gmail-bench',
    schedule: { cron: '0 6 * * *', timeZone: 'UTC' },
    source: {
      kind: 'gmail',
      auth: { kind: 'oauth', clientId: { secret: 'gmail-client-id' }, clientSecret: { secret: 'gmail-client-secret' }, refreshToken: { secret: 'gmail-refresh-token' } },
      rules: [{ name: 'vendors', from: '@vendor\\.example', attachmentName: '\\.(csv|xlsx)$', imports: ['prices'] }],
    },
    imports: [{ name: 'prices', match: '.*', table: 'prices' }],
    database: { url: { secret: 'db-url' }, schema: 'unused' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['db-url', 'smtp-url', 'gmail-client-id', 'gmail-client-secret', 'gmail-refresh-token'],
  });
}

export async function benchGmailFetch(messages: number, log: (message: string) => void): Promise<GmailPart> {
  const { dir: tmp, remove } = benchTempDir('sluice-bench-gmail-');
  const steps: Array<() => Promise<void>> = [remove];
  try {
    const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
    log('gmail: starting the GCS emulator, the Firestore emulator and the Google API double');
    const gcs = await startGcsEmulator({ dataDir: path.join(tmp, 'gcs'), logger: quiet });
    steps.push(onCleanup('stop the GCS emulator', () => gcs.stop()));
    const firestore = await startFirestoreEmulator({ env: process.env, logger: quiet });
    steps.push(onCleanup('stop the Firestore emulator', () => firestore.stop()));
    const double = await startGoogleApiDouble({ logger: quiet });
    steps.push(onCleanup('stop the Google API double', () => double.stop()));
    const [bucket] = await new Storage({ projectId: 'sluice-bench', apiEndpoint: gcs.url }).createBucket('sluice-bench-gmail');

    const seed = new GoogleApiDoubleClient(double);
    const clientSecret = 'bench-client-secret';
    await seed.registerOAuthClient({ clientId: CLIENT_ID, clientSecret });
    const refreshToken = await seed.issueRefreshToken({ clientId: CLIENT_ID, user: USER, scopes: ['gmail.modify'] });
    const secretsDir = path.join(tmp, 'secrets');
    await (await import('node:fs/promises')).mkdir(secretsDir);
    for (const [name, value] of Object.entries({ 'gmail-client-id': CLIENT_ID, 'gmail-client-secret': clientSecret, 'gmail-refresh-token': refreshToken })) {
      await writeFile(path.join(secretsDir, name), value);
    }
    log(`gmail: inserting ${count(messages)} mails × 2 attachments of ${ATTACHMENT_BYTES / 1024} KB`);
    const now = Date.now();
    for (let i = 0; i < messages; i++) {
      const eml = await buildEml({
        from: `Vendor ${i % 7} <billing${i % 7}@vendor.example>`, to: USER, subject: `Prices ${i}`, text: 'attached',
        attachments: [
          { filename: `prices-${i}.csv`, contentType: 'text/csv', content: Buffer.alloc(ATTACHMENT_BYTES, 0x61) },
          { filename: `stock-${i}.xlsx`, content: Buffer.alloc(ATTACHMENT_BYTES, 0x62) },
        ],
      });
      await seed.insertMessage(USER, eml, { labelIds: ['INBOX'], internalDate: now - 3_600_000 + i });
    }
    await seed.clearRequests();

    log('gmail: fetch');
    const out = await runFetchWorker({ storageUrl: gcs.url, firestoreHost: firestore.host, bucket: bucket.name, secretsDir, google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } });
    if (out.error) throw new Error(`gmail: the fetch failed: ${out.error}`);
    const [files] = await bucket.getFiles({ prefix: 'raw/gmail-bench/' });
    if (files.length !== 2 * messages) throw new Error(`gmail: staged ${files.length} files, expected ${2 * messages}`);
    const box = await seed.mailbox(USER);
    const unlabelled = box.messages.filter((m) => !m.labelNames.includes('Processed')).length;
    if (unlabelled > 0) throw new Error(`gmail: ${unlabelled} mails were not labelled Processed`);

    const requests = (await seed.requests()).filter((r) => r.operation.startsWith('gmail.'));
    const calls: Record<string, number> = {};
    for (const r of requests) calls[r.operation.replace('gmail.users.', '')] = (calls[r.operation.replace('gmail.users.', '')] ?? 0) + 1;
    const quotaUnits = requests.reduce((sum, r) => sum + r.quotaUnits, 0);
    const perMessage = Math.round((quotaUnits / messages) * 100) / 100;
    return {
      messages, attachments: 2 * messages, ms: Math.round(out.ms), messagesPerSec: perSec(messages, out.ms), maxRssMB: mb(out.maxRssBytes),
      quotaUnits, quotaUnitsPerMessage: perMessage, calls,
      targets: { quotaUnitsPerMessageAtMost15: perMessage <= GMAIL_GOALS.quotaUnitsPerMessage },
    };
  } finally {
    for (const step of steps.splice(0).reverse()) await step();
  }
}

export function formatGmail(part: GmailPart): string {
  const header = ['mails × attachments', 'mails/s', 'fetch peak RSS MB', 'quota units', 'units / mail', 'Gmail calls'];
  const calls = Object.entries(part.calls).sort().map(([op, n]) => `${op} ${n}`).join(', ');
  const line = [`${count(part.messages)} × 2`, count(part.messagesPerSec), String(part.maxRssMB), count(part.quotaUnits), String(part.quotaUnitsPerMessage), calls];
  const met = part.targets.quotaUnitsPerMessageAtMost15 ? 'met' : 'NOT met';
  return [formatTable(header, [line]), '', `target: ≤ ${GMAIL_GOALS.quotaUnitsPerMessage} quota units per mail: ${met}`].join('\n');
}

function runFetchWorker(input: WorkerInput): Promise<WorkerOutput> {
  return runJsonChild<WorkerOutput>('gmail fetch worker', ['--import', 'tsx', import.meta.filename, '--worker', JSON.stringify(input)]);
}

// The worker: one trigger through the fetch handler, in a context like the function's.
async function worker(input: WorkerInput): Promise<void> {
  const errors: string[] = [];
  const logger = createLogger({}, (line) => {
    if (line.includes('"ERROR"')) errors.push(line);
  }, 'INFO');
  const ctx = createTestContext({
    pipeline: benchPipeline(), stage: 'fetch', bucket: input.bucket, storageUrl: input.storageUrl, firestoreHost: input.firestoreHost,
    projectId: 'sluice-bench', secretsDir: input.secretsDir, logger, localEndpoints: { google: input.google },
  });
  const data = Buffer.from(JSON.stringify({ v: 1, type: 'sluice.trigger', pipeline: 'gmail-bench', trigger: 'manual' }));
  const started = performance.now();
  let error: string | undefined;
  try {
    await createFetchHandler()(ctx, { messageId: 'bench-1', publishTime: new Date().toISOString(), attributes: {}, data });
    const failed = ctx.runs.of('failRun');
    if (failed.length > 0) error = String(failed[0]?.detail);
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  const ms = performance.now() - started;
  await ctx.close();
  const output: WorkerOutput = { ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...(error || errors.length ? { error: error ?? errors.join('\n') } : {}) };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

if (process.argv[2] === '--worker') {
  worker(JSON.parse(process.argv[3] ?? '{}') as WorkerInput).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
