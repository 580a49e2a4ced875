// The `npm start` session (start-demo.ts loads it): the whole chain on one machine. Starts the local cloud, drops a generated POS export on
// its SFTP server, deploys every listed pipeline onto it (a user's own with its secrets from
// .sluice/secrets.json, local-secrets.ts), triggers the demo once, prints the run's timeline and
// where to look, serves the ops API and dashboard (local-ops.ts), then keeps the schedules running
// until Ctrl-C. `npm start -- --once` exits after the
// first run: 0 if it succeeded, 1 otherwise. `--bundles` serves the functions from the deployment
// packages `npm run build` wrote (dist/functions), one functions-framework process each, instead of
// in-process from the TypeScript sources.
import { sftpSourceOf } from '../functions/fetch/sources/sftp/config';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { handlers } from '../functions/handlers';
import { pipelines } from '../pipelines/index';
import { ops } from '../pipelines/ops';
import { restaurantPos } from '../pipelines/restaurant-pos';
import { vendorInbox } from '../pipelines/vendor-inbox';
import { GoogleApiDoubleClient } from './google-apis/double-client';
import { demoSecretNames, isDemoPipeline, seedDemoSecrets } from './demo/demo-secrets';
import { deliverVendorMails } from './demo/vendor-inbox-seed';
import { FINANCE_INBOX } from './demo/vendor-mails';
import { createGoogleClients } from '../shared/google-clients';
import { createLogger } from '../shared/logger';
import { writeBackOfficeFiles } from './demo/back-office-files';
import { generatePosExport, recentBusinessDays } from './demo/pos-export';
import { checkSecrets, localValuesOf, MissingSecretsError, startLocalSession, type LocalSession } from './local-session';
import { printOpsHint } from './ops-hint';
import { renderTimeline, waitForRun } from './run-watch';
import { writeEnvFile } from './env-file';
import { endpointsToEnv, startLocalCloud } from './stack';

// Locally no GCE metadata server exists; without this every Google client probes for one and warns.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const once = process.argv.includes('--once');
const verbose = process.argv.includes('--verbose');
const bundleDir = process.argv.includes('--bundles') ? path.resolve('dist', 'functions') : undefined;
// Function logs are JSON lines; the demo shows only warnings and errors unless asked.
const logger = createLogger({}, (line) => process.stderr.write(line + '\n'), verbose ? 'DEBUG' : 'WARNING');
const say = (text: string) => process.stdout.write(text + '\n');

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  // Each start begins from empty tables: the local Firestore emulator keeps no state between starts,
  // so the fetch ledger would not remember what an older database already holds.
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function main(): Promise<number> {
  if (bundleDir && !fs.existsSync(bundleDir)) throw new Error(`--bundles: ${bundleDir} does not exist; run \`npm run build\` first`);
  const dataDir = path.resolve(process.env.SLUICE_DATA_DIR || '.sluice');
  // Before the local cloud starts: a pipeline whose secret has no value is named now, not at fire time.
  checkSecrets(pipelines, dataDir, demoSecretNames(pipelines));
  say('starting the local cloud (Pub/Sub, Firestore, Cloud Storage, PostgreSQL, SFTP, SMTP)...');
  const cloud = await startLocalCloud({ dataDir, env: process.env, logger });
  const { endpoints } = cloud;
  say(`local cloud up in ${cloud.coldStartMs} ms`);
  const envFile = path.join(dataDir, 'emulator.env');
  writeEnvFile(envFile, endpointsToEnv(endpoints));

  let session: LocalSession | undefined;
  // The endpoints file goes with the cloud (as `npm run emulator` does): left behind, it would point
  // `npm run auth -- --local` and the user's tools at ports nothing answers any more.
  const stop = async () => {
    await session?.stop().catch(() => undefined);
    await cloud.stop();
    fs.rmSync(envFile, { force: true });
  };
  try {
    const source = sftpSourceOf(restaurantPos);
    const dates = recentBusinessDays(restaurantPos.schedule?.timeZone ?? 'UTC', source.dateOffsetDays, source.lookbackDays);
    const exported = generatePosExport({ root: endpoints.sftp.root, dates, exportId: source.params.exportId ?? '4471' });
    say(`POS export for ${dates.join(', ')} on the SFTP server: ${exported.files.length} files, ` +
      `${exported.rows.orders} orders, ${exported.rows.order_items} order items, ${exported.rows.payments} payments`);
    // The latest day also brings the supplier files: a weekly price list (.xlsx) and a delivery note (.xls).
    const latest = dates[dates.length - 1] as string;
    const backOffice = await writeBackOfficeFiles({ root: endpoints.sftp.root, exportId: source.params.exportId ?? '4471', date: latest });
    say(`supplier files for ${latest}: ${backOffice.files.map((f) => path.basename(f)).join(', ')}`);
    // The e-mail chore: the day's vendor mails in the finance team's Gmail inbox (the local double).
    // The demo pipelines' credentials: the finance mailbox's and the back office Drive's (where the POS
    // export is also copied) at the Google API double, the SFTP password, database and SMTP URLs.
    const databaseUrl = await freshDatabase(endpoints.databaseUrl, 'sluice_demo');
    const google = new GoogleApiDoubleClient(endpoints.google);
    const seeds = await seedDemoSecrets({ google, endpoints, databaseUrl, pipelines });
    const mails = listed(vendorInbox) ? await deliverVendorMails(google, latest) : [];
    if (mails.length > 0) say(`vendor mails in the finance inbox: ${mails.join('; ')}`);
    session = await startLocalSession({
      endpoints,
      pipelines,
      handlers,
      ops,
      dataDir,
      seeds,
      localValues: localValuesOf(endpointsToEnv(endpoints), endpoints, databaseUrl),
      logger,
      verbose,
      runSchedules: !once,
      serveOps: !once,
      // The function processes get nothing of ours but PATH, and no metadata-server probe (none exists locally).
      ...(bundleDir ? { bundles: { dir: bundleDir, env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none' } } } : {}),
    });
    const { deployment } = session;
    if (session.ops) say(`dashboard (watch the demo runs live): ${session.ops.dashboardSignIn}`);

    // Both pipelines at once: the POS export from SFTP, and the vendor mails from Gmail.
    const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
    const demoRuns = [
      { pipeline: restaurantPos, runId: `demo-${stamp}` },
      { pipeline: vendorInbox, runId: `demo-${stamp}-inbox` },
    ].filter(({ pipeline }) => listed(pipeline));
    for (const { pipeline, runId } of demoRuns) {
      await deployment.trigger(pipeline.name, { runId });
      say(`triggered ${pipeline.name} as run ${runId}`);
    }
    say('waiting for them to finish...');
    const clients = createGoogleClients({ projectId: deployment.projectId, firestoreHost: endpoints.firestoreHost });
    const finished = await Promise.all(demoRuns.map(({ runId }) => waitForRun(clients.firestore, runId, { timeoutMs: 300_000 })));
    await clients.close();

    for (const [index, { pipeline }] of demoRuns.entries()) {
      say('');
      say(renderTimeline(finished[index]!));
      say(`tables (schema "${pipeline.database.schema}"): DATABASE_URL=${databaseUrl}`);
    }
    const mailbox = await google.mailbox(FINANCE_INBOX);
    const labelled = (name: string) => mailbox.messages.filter((m) => m.labelNames.includes(name)).length;
    say(`finance inbox (Gmail double): ${labelled('Processed')} mails labelled Processed, ${labelled('Error')} labelled Error, ${labelled('INBOX')} left in INBOX`);
    const copied = (await google.driveFiles()).filter((f) => f.appProperties?.sha256 !== undefined);
    const folders = new Set(copied.flatMap((f) => f.parents));
    say(`back office Drive (Google API double): ${copied.length} POS files copied into ${folders.size} dated subfolders of "POS exports"`);
    say('');
    say(`report and alert e-mails (.eml): ${endpoints.smtp.outboxDir}`);
    say(`all endpoints: ${envFile} (removed when the local cloud stops)`);
    if (once) say('--once: the local cloud stops as this exits, so the DATABASE_URL above stops answering; `npm start` without --once keeps it up');
    const succeeded = finished.every((f) => f.run.status === 'succeeded');
    if (once) {
      await stop();
      return succeeded ? 0 : 1;
    }
    if (session.ops) printOpsHint(say, session.ops, pipelines.filter((p) => !isDemoPipeline(p)));
    say('\nschedules are running; Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await stop();
    return 0;
  } catch (error) {
    await stop();
    throw error;
  }
}

// A demo pipeline runs in the demo only while pipelines/index.ts lists it (a user may remove them).
const listed = (pipeline: { name: string }) => pipelines.some((p) => p.name === pipeline.name);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // One line per pipeline secret without a value, each saying how to set it; a usage error.
    if (error instanceof Error && error.name === 'MissingSecretsError') {
      process.stderr.write(`${(error as MissingSecretsError).lines.join('\n')}\n`);
      process.exit(2);
    }
    process.stderr.write(`sluice: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
