// The Drive destination end to end through notify, with the real googleapis client and
// google-auth-library against the local Google API double, the local cloud's Firestore and GCS
// emulator: each file uploaded once (a second run, a redelivery, two deliveries at once, a crash
// between upload and record all find it by its hash), its dated subfolder created once, a large file
// through the resumable protocol resuming after a cut connection, a shared drive, and a service
// account's storageQuotaExceeded becoming one alert while the report still goes out.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import type { Destinations } from '../../../functions/notify/destinations/destination';
import { createDriveDestination } from '../../../functions/notify/destinations/drive/drive-destination';
import { handleRunComplete } from '../../../functions/notify/run-complete';
import { objectName } from '../../../shared/object-names';
import type { DestinationConfig } from '../../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../support/stage-test-context';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver';
import { driveOf, type DriveSeed } from './drive-double';

const USER = 'restaurant@example.com';
const SERVICE_ACCOUNT = 'sluice-notify@sluice-test.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

let world: StageTestWorld;
let double: GoogleApiDouble;
let seed: GoogleApiDoubleClient;
let drive: DriveSeed;
let localEndpoints: Record<string, unknown>;
let hooks: WebhookReceiver;

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  double = await startGoogleApiDouble();
  seed = new GoogleApiDoubleClient(double);
  drive = driveOf(seed);
  await seed.registerOAuthClient({ clientId: 'drive-client', clientSecret: 'drive-client-secret' });
  const refreshToken = await seed.issueRefreshToken({ clientId: 'drive-client', user: USER, scopes: ['drive'] });
  await seed.registerServiceAccount({ email: SERVICE_ACCOUNT, publicKeyPem: publicKey });
  world = await startStageTestWorld({
    label: 'drv', bucket: true, smtp: true, database: true,
    secrets: {
      'drive-client-id': 'drive-client', 'drive-client-secret': 'drive-client-secret', 'drive-refresh-token': refreshToken,
      'drive-sa-key': JSON.stringify({ type: 'service_account', client_email: SERVICE_ACCOUNT, private_key: privateKey }),
      'hook-destinations': hooks.url('/hooks/destinations'),
    },
  });
  localEndpoints = { google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } };
});

afterAll(async () => {
  await world?.stop();
  await double?.stop();
  await hooks?.stop();
});

const oauth = { kind: 'oauth', clientId: { secret: 'drive-client-id' }, clientSecret: { secret: 'drive-client-secret' }, refreshToken: { secret: 'drive-refresh-token' } } as const;
const serviceAccount = { kind: 'service-account', key: { secret: 'drive-sa-key' } } as const;
const report = { name: 'daily', subject: 'Daily', to: ['managers@example.com'], queries: [{ title: 'One', sql: 'select 1 as one' }], when: 'always' as const };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const bytes = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));

async function mailsAfter(before: number): Promise<ParsedMail[]> {
  const files = (await world.outbox()).slice(before);
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}

interface RunFile { fileKey: string; path: string; content: Buffer; outcome?: 'loaded' | 'quarantined'; stampHash?: boolean }

// A run whose files fetch staged and that then ended (archived or quarantined), as notify finds it.
async function endedRun(h: StageHarness, runId: string, files: RunFile[]): Promise<Record<string, unknown>> {
  const before = h.events.length;
  await h.runs.startRun(runId, { pipeline: h.pipeline.name, trigger: 'manual', messageId: `t-${runId}`, dates: ['2026-11-30'] });
  await h.runs.setExpectedFiles(runId, files.length);
  const bucket = world.clients.storage.bucket(world.bucket);
  const ctx = h.context('load');
  for (const f of files) {
    const location = { pipeline: h.pipeline.name, runId, path: f.path };
    const outcome = f.outcome ?? 'loaded';
    const object = objectName(outcome === 'loaded' ? 'archive' : 'quarantine', location);
    await bucket.file(object).save(f.content, { resumable: false, metadata: { contentType: 'text/csv', ...(f.stampHash === false ? {} : { metadata: { sluiceSourceSha256: sha256(f.content) } }) } });
    await h.runs.stageStarted(runId, f.fileKey, 'fetch', { name: f.path });
    await h.runs.stageSucceeded(runId, f.fileKey, 'fetch', { details: { size: f.content.length } });
    await ctx.finishFile(runId, f.fileKey, outcome, outcome === 'quarantined' ? { stage: 'transform', error: 'bad row' } : { stage: 'load' });
  }
  return (await h.waitForEvents(before + 1))[before]!;
}

const notify = (h: StageHarness, event: unknown, destinations?: Destinations) =>
  handleRunComplete(h.context('notify', { localEndpoints }), event as never, destinations ? { destinations } : {});

describe('Drive destination', () => {
  it('uploads each file once into its dated subfolder; a second run and a redelivery find it by hash', async () => {
    const folderId = await drive.createFolder(USER, 'POS exports');
    const destination: DestinationConfig = { kind: 'drive', folderId, subfolder: '{yyyyMMdd}', on: 'fetched', auth: oauth };
    const h = await stageHarness(world, testPipeline(world, { destinations: [destination] }));
    const sales = bytes(3000, 1);
    const bad = bytes(1200, 2);
    const first = await endedRun(h, 'r-drive-1', [
      { fileKey: 'fs', path: '20261130/sales.csv', content: sales },
      { fileKey: 'fb', path: '20261130/bad.csv', content: bad, outcome: 'quarantined', stampHash: false },
    ]);
    await notify(h, first);
    await notify(h, first);

    const [day] = await drive.children(folderId);
    expect(day).toMatchObject({ name: '20261130', mimeType: 'application/vnd.google-apps.folder' });
    const files = await drive.children(day!.id);
    expect(files.map((f) => [f.name, f.appProperties?.sha256, Number(f.size)]).sort()).toEqual([
      ['bad.csv', sha256(bad), bad.length], ['sales.csv', sha256(sales), sales.length],
    ]);
    expect(await drive.content(files.find((f) => f.name === 'sales.csv')!.id)).toEqual(sales);
    const run = (await h.run('r-drive-1')) as unknown as { notifications: { deliveries: Record<string, Record<string, unknown>>; doneAt?: string } };
    const receipt = Object.values(run.notifications.deliveries).find((d) => d.name === 'sales.csv');
    expect(receipt).toMatchObject({ folderId: day!.id, sha256: sha256(sales), found: false, size: sales.length });

    // The next night's run fetches the same export again (a re-sent file): found, not uploaded.
    const second = await endedRun(h, 'r-drive-2', [{ fileKey: 'fs', path: '20261130/sales.csv', content: sales }]);
    await notify(h, second);
    expect(await drive.children(folderId)).toHaveLength(1);
    expect(await drive.children(day!.id)).toHaveLength(2);
    const again = (await h.run('r-drive-2')) as unknown as { notifications: { deliveries: Record<string, Record<string, unknown>> } };
    expect(Object.values(again.notifications.deliveries)[0]).toMatchObject({ found: true, fileId: receipt!.fileId });
    await h.close();
  });

  it('two deliveries of the same content at once make one file and one subfolder', async () => {
    const folderId = await drive.createFolder(USER, 'POS concurrent');
    const destination: DestinationConfig = { kind: 'drive', folderId, subfolder: '{yyyy}/{MM}', on: 'loaded', auth: oauth };
    const h = await stageHarness(world, testPipeline(world, { destinations: [destination] }));
    const content = bytes(5000, 3);
    const a = await endedRun(h, 'r-conc-a', [{ fileKey: 'f1', path: '20261130/pos.csv', content }]);
    const b = await endedRun(h, 'r-conc-b', [{ fileKey: 'f1', path: '20261130/pos.csv', content }]);
    await Promise.all([notify(h, a), notify(h, b), notify(h, a)].map((p) => p.catch((error: unknown) => error)));
    // A delivery refused as busy (the same run's claim held) is retried by Pub/Sub: do it here.
    await notify(h, a);
    await notify(h, b);
    const [year] = await drive.children(folderId);
    expect(year?.name).toBe('2026');
    const months = await drive.children(year!.id);
    expect(months.map((m) => m.name)).toEqual(['11']);
    expect(await drive.children(months[0]!.id)).toHaveLength(1);
    await h.close();
  });

  it('a crash between the upload and its record is redelivered without a duplicate', async () => {
    const folderId = await drive.createFolder(USER, 'POS crash');
    const config: DestinationConfig = { kind: 'drive', folderId, subfolder: '', on: 'fetched', auth: oauth };
    const h = await stageHarness(world, testPipeline(world, { destinations: [config] }));
    const real = createDriveDestination();
    // The process dies right after Drive answered: deliver-once never records it.
    const crashing: Destinations = {
      drive: {
        kind: 'drive',
        async deliveriesFor(c, index, runtime) {
          return (await real.deliveriesFor(c, index, runtime)).map((d) => ({ ...d, async deliver() { await d.deliver(); throw new Error('killed after the upload'); } }));
        },
      },
    };
    const event = await endedRun(h, 'r-crash', [{ fileKey: 'f1', path: '20261130/pos.csv', content: bytes(2048, 4) }]);
    await expect(notify(h, event, crashing)).rejects.toThrow('killed after the upload');
    expect(await drive.children(folderId)).toHaveLength(1);
    await notify(h, event);
    expect(await drive.children(folderId)).toHaveLength(1);
    const run = (await h.run('r-crash')) as unknown as { notifications: { deliveries: Record<string, Record<string, unknown>> } };
    expect(Object.values(run.notifications.deliveries)[0]).toMatchObject({ found: true });
    await h.close();
  });

  it('a file over 5 MB goes resumable, and resumes after the connection is cut mid-upload', async () => {
    const folderId = await drive.createFolder(USER, 'POS big');
    const config: DestinationConfig = { kind: 'drive', folderId, subfolder: '', on: 'fetched', auth: oauth };
    const h = await stageHarness(world, testPipeline(world, { destinations: [config] }));
    const big = bytes(6 * 1024 * 1024 + 12345, 5);
    const event = await endedRun(h, 'r-big', [{ fileKey: 'f1', path: '20261130/big.csv', content: big }]);
    const since = (await seed.requests()).length;
    await seed.armFault({ route: 'drive.upload.resumable', fault: { kind: 'drop_after_bytes', bytes: 300_000 }, times: 1 });
    await notify(h, event, { drive: createDriveDestination({ chunkBytes: 1024 * 1024 }) });
    const [file] = await drive.children(folderId);
    expect(Number(file!.size)).toBe(big.length);
    // Compared as bytes: a deep equality over 6 MB takes minutes.
    expect((await drive.content(file!.id)).equals(big)).toBe(true);
    const uploads = (await seed.requests(since)).filter((r) => r.operation.startsWith('drive.upload'));
    expect(uploads.some((r) => r.fault)).toBe(true);
    await h.close();
  });

  it('into a shared drive, as a service account that is a member', async () => {
    const driveId = await drive.createSharedDrive('Restaurant group', [SERVICE_ACCOUNT]);
    const folderId = await drive.createFolder(SERVICE_ACCOUNT, 'POS', driveId);
    const config: DestinationConfig = { kind: 'drive', folderId, driveId, subfolder: '{yyyy-MM-dd}', on: 'fetched', auth: serviceAccount };
    const h = await stageHarness(world, testPipeline(world, { destinations: [config] }));
    const event = await endedRun(h, 'r-shared', [{ fileKey: 'f1', path: '20261130/pos.csv', content: bytes(4000, 6) }]);
    await notify(h, event);
    const [day] = await drive.children(folderId);
    expect(day?.name).toBe('2026-11-30');
    const [file] = await drive.children(day!.id);
    expect(file).toMatchObject({ name: 'pos.csv', driveId });
    await h.close();
  });

  it("a service account writing to a My Drive folder: one alert (mail and webhook) saying why and what to do; the report still goes", async () => {
    const folderId = await drive.createFolder(USER, 'POS personal', undefined, [SERVICE_ACCOUNT]);
    const config: DestinationConfig = { kind: 'drive', folderId, subfolder: '', on: 'fetched', auth: serviceAccount };
    const alerts = { to: ['ops@example.com'], webhook: { url: { secret: 'hook-destinations' } } };
    const h = await stageHarness(world, testPipeline(world, { reports: [report], destinations: [config], alerts }));
    const before = (await world.outbox()).length;
    const event = await endedRun(h, 'r-quota', [
      { fileKey: 'f1', path: '20261130/a.csv', content: bytes(100, 7) },
      { fileKey: 'f2', path: '20261130/b.csv', content: bytes(100, 8) },
    ]);
    await notify(h, event);
    await notify(h, event);
    const mails = await mailsAfter(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-quota.report@sluice>', '<r-quota.destinations-alert@sluice>']);
    expect(mails[1]!.text).toContain('storageQuotaExceeded');
    expect(mails[1]!.text).toContain('shared drive');
    expect(mails[1]!.text).toContain("auth.kind 'oauth'");
    // The same alert once to the webhook (notified twice above), with the command that shows the run.
    const posts = hooks.posts('/hooks/destinations');
    expect(posts).toHaveLength(1);
    const posted = (posts[0]!.body as { text: string }).text;
    expect(posted).toContain('storageQuotaExceeded');
    expect(posted).toContain('npx sluice runs get r-quota');
    expect(await drive.children(folderId)).toHaveLength(0);
    expect((await h.run('r-quota'))?.notifications?.doneAt).toBeTruthy();
    await h.close();
  });
});
