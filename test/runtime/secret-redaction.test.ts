// No secret in any log line, run record, quarantine note or mail, even when a failing dependency puts
// one into its error: the demo runs on the local cloud against a database that quotes the password it
// was given (and the SMTP URL, credentials and all) in every error. Load quarantines each file with
// that error as the reason, so the text travels every sink — the function's log lines, the file
// records in Firestore, the quarantined object's metadata and the alert mail — and must arrive scrubbed.
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generatePosExport } from '../../emulator/demo/pos-export';
import { deployPipelines, type LocalDeployment } from '../../emulator/deploy-pipelines';
import { waitForRun } from '../../emulator/run-watch';
import { handlers } from '../../functions/handlers';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { createLogger } from '../../shared/logger';
import { definePipeline } from '../../shared/pipeline-definition';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';
import { startEchoingPostgres, type EchoingPostgres } from './echoing-postgres';

const DATE = '2026-10-05';
// Distinctive, and with characters a URL must encode, so the encoded form is tested too.
const DB_PASSWORD = `Db/Pw+${crypto.randomBytes(6).toString('hex')}@x`;
const SMTP_PASSWORD = `SmtpPw${crypto.randomBytes(6).toString('hex')}`;

const endpoints = localCloud();
const projectId = uniqueProjectId('redact');
const exportId = uniqueName('x').replace(/-/g, '');
const pipeline = definePipeline({ ...restaurantPos, source: { ...sftpSourceOf(restaurantPos), params: { exportId } }, destinations: [], reports: [] });
const smtpUrl = `smtp://sluice:${SMTP_PASSWORD}@${endpoints.smtp.host}:${endpoints.smtp.port}`;
const logLines: string[] = [];
let database: EchoingPostgres;
let deployment: LocalDeployment;
let clients: GoogleClients;

beforeAll(async () => {
  database = await startEchoingPostgres({
    code: '22023',
    say: (password) => `pooler refused: password "${password}" for postgres://loader:${encodeURIComponent(password)}@db.internal/pos (relay ${smtpUrl})`,
  });
  deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers,
    projectId,
    secrets: {
      'pos-sftp-password': endpoints.sftp.password,
      'pos-database-url': database.url('loader', DB_PASSWORD, 'pos'),
      'smtp-url': smtpUrl,
    },
    backoffOverride: { minSeconds: 1, maxSeconds: 2 },
    logger: createLogger({}, (line) => logLines.push(line), 'DEBUG'),
    logLevel: 'DEBUG',
  });
  clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost, storageUrl: endpoints.storageUrl });
});

afterAll(async () => {
  await deployment?.stop();
  await clients?.close();
  await database?.close();
  fs.rmSync(path.join(endpoints.sftp.root, 'exports', exportId), { recursive: true, force: true });
});

it("keeps a secret a failing database quotes out of the logs, the run record, the quarantine and the mail", async () => {
  generatePosExport({ root: endpoints.sftp.root, dates: [DATE], exportId, ordersPerDay: 10, seed: 11 });
  const runId = `${projectId}-run1`;
  await deployment.trigger(pipeline.name, { runId, date: DATE });
  const { run, files } = await waitForRun(clients.firestore, runId, { timeoutMs: 90_000 });

  // The dependency did quote the password, and each file was quarantined with its error.
  expect(database.received).toContain(DB_PASSWORD);
  expect(run.status).toMatch(/^(partial|failed)$/);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    expect(file.status).toBe('quarantined');
    expect(file.error?.message).toMatch(/SQLSTATE 22023/);
    expect(file.error?.message).toContain('[redacted]');
    // Scheme and host kept, so the reader still sees which dependency said it.
    expect(file.error?.message).toContain('postgres://[redacted]@db.internal/pos');
  }

  const forbidden = [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), SMTP_PASSWORD, smtpUrl];
  const logs = logLines.join('\n');
  expect(logs).toContain('file quarantined');

  const runDoc = (await clients.firestore.collection('runs').doc(runId).get()).data();
  const fileDocs = (await clients.firestore.collection('runs').doc(runId).collection('files').get()).docs.map((d) => d.data());
  const record = JSON.stringify({ runDoc, fileDocs });

  const [quarantined] = await deployment.storage.bucket(deployment.bucket).getFiles({ prefix: `quarantine/${pipeline.name}/` });
  expect(quarantined.length).toBe(files.length);
  const metadata = JSON.stringify(await Promise.all(quarantined.map(async (f) => (await f.getMetadata())[0].metadata)));
  expect(metadata).toContain('[redacted]');

  const outbox = endpoints.smtp.outboxDir;
  const raws = fs.readdirSync(outbox).filter((n) => n.endsWith('.eml')).map((n) => fs.readFileSync(path.join(outbox, n), 'utf8')).filter((raw) => raw.includes(runId));
  expect(raws.length, 'the alert mail').toBe(1);
  const mail = await simpleParser(raws[0]!);
  const mailText = [mail.subject, mail.text, String(mail.html), raws[0]].join('\n');
  expect(mailText).toContain('SQLSTATE 22023');

  for (const secret of forbidden) {
    expect(logs, 'log lines').not.toContain(secret);
    expect(record, 'run record').not.toContain(secret);
    expect(metadata, 'quarantine metadata').not.toContain(secret);
    expect(mailText, 'alert mail').not.toContain(secret);
  }
});
