// Drive v3 on the double through the real googleapis client (and, for resumable uploads, the
// documented protocol by hand, as the Drive destination writes it): folders, multipart uploads,
// dedupe lookups by appProperties, default fields, shared drives and supportsAllDrives, the
// service-account quota rule, and resumable uploads that must resume after a dropped connection.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { google, type drive_v3 } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';

let double: GoogleApiDouble;
let seed: GoogleApiDoubleClient;
let counter = 0;
const FOLDER = 'application/vnd.google-apps.folder';

beforeAll(async () => {
  double = await startGoogleApiDouble();
  seed = new GoogleApiDoubleClient(double);
});
afterAll(() => double.stop());

async function driveFor(o: { serviceAccount?: boolean } = {}): Promise<{ principal: string; token: string; drive: drive_v3.Drive }> {
  const principal = o.serviceAccount ? `runner-${++counter}@sluice-local.iam.gserviceaccount.com` : `owner-${++counter}@example.com`;
  const token = await seed.issueAccessToken({ principal, scopes: ['drive'], serviceAccount: o.serviceAccount });
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: token });
  return { principal, token, drive: google.drive({ version: 'v3', auth, rootUrl: double.apiRoot }) };
}

// googleapis ignores the API-level rootUrl for media uploads (they go to www.googleapis.com):
// pass it per call, as the Drive destination must.
let uploadTo: { rootUrl: string };
beforeAll(() => void (uploadTo = { rootUrl: double.apiRoot }));

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

describe('files in a My Drive', () => {
  it('creates folders and uploads (multipart), finds them by q, answers default fields unless asked', async () => {
    const { drive } = await driveFor();
    const folder = (await drive.files.create({ requestBody: { name: 'POS exports', mimeType: FOLDER }, supportsAllDrives: true })).data;
    expect(Object.keys(folder).sort()).toEqual(['id', 'kind', 'mimeType', 'name']);
    const day = (await drive.files.create({ requestBody: { name: '20261130', mimeType: FOLDER, parents: [folder.id!] }, fields: 'id,parents', supportsAllDrives: true })).data;
    expect(day.parents).toEqual([folder.id]);

    const content = Buffer.from('store,total\n1,100.50\n');
    const created = (
      await drive.files.create({
        requestBody: { name: 'pos_20261130.csv', parents: [day.id!], appProperties: { sha256: sha256(content) } },
        media: { mimeType: 'text/csv', body: Readable.from([content]) },
        fields: 'id,name,size,md5Checksum,appProperties,mimeType',
        supportsAllDrives: true,
      }, uploadTo)
    ).data;
    expect(created).toMatchObject({ name: 'pos_20261130.csv', size: String(content.length), md5Checksum: md5(content), appProperties: { sha256: sha256(content) }, mimeType: 'text/csv' });

    const q = `'${day.id}' in parents and trashed = false and appProperties has { key='sha256' and value='${sha256(content)}' }`;
    const found = (await drive.files.list({ q, fields: 'files(id,name,md5Checksum)', supportsAllDrives: true, includeItemsFromAllDrives: true })).data;
    expect(found.files).toEqual([{ id: created.id, name: 'pos_20261130.csv', md5Checksum: md5(content) }]);
    const byName = (await drive.files.list({ q: `name = '20261130' and mimeType = '${FOLDER}' and '${folder.id}' in parents` })).data;
    expect(byName.files!.map((f) => f.id)).toEqual([day.id]);
    expect((await drive.files.list({ q: "name contains 'pos' and not mimeType = 'application/vnd.google-apps.folder'" })).data.files!.map((f) => f.id)).toEqual([created.id]);
    await expect(drive.files.list({ q: "fullText contains 'x'" })).rejects.toMatchObject({ status: 400 });
    await expect(drive.files.list({ q: "name = 'unterminated" })).rejects.toMatchObject({ status: 400 });

    const media = await drive.files.get({ fileId: created.id!, alt: 'media' }, { responseType: 'arraybuffer' });
    expect(Buffer.from(media.data as ArrayBuffer)).toEqual(content);
    expect(await seed.driveFileContent(created.id!)).toEqual(content);
    await expect(drive.files.get({ fileId: 'no-such-file' })).rejects.toMatchObject({ status: 404 });
    await expect(drive.files.create({ requestBody: { name: 'x', parents: ['no-such-folder'] } })).rejects.toMatchObject({ status: 404 });
  });

  it('pages files.list', async () => {
    const { drive, principal } = await driveFor();
    const folder = await seed.createFolder({ name: 'many', owner: principal });
    for (let i = 0; i < 5; i++) await seed.createDriveFile({ name: `f${i}.csv`, content: `${i}`, parentId: folder.id });
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = (await drive.files.list({ q: `'${folder.id}' in parents`, pageSize: 2, pageToken, fields: 'nextPageToken,files(name)' })).data;
      names.push(...page.files!.map((f) => f.name!));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(names).toEqual(['f0.csv', 'f1.csv', 'f2.csv', 'f3.csv', 'f4.csv']);
  });
});

describe('shared drives and service accounts', () => {
  it('a shared-drive item exists only for requests that say supportsAllDrives (and includeItemsFromAllDrives to list)', async () => {
    const { drive, principal } = await driveFor({ serviceAccount: true });
    const shared = await seed.createSharedDrive('Restaurant group', [{ principal, role: 'fileOrganizer' }]);
    const folder = await seed.createFolder({ name: 'exports', driveId: shared.id });
    expect(folder.driveId).toBe(shared.id);
    await expect(drive.files.create({ requestBody: { name: 'a.csv', parents: [folder.id] }, media: { mimeType: 'text/csv', body: 'a' } }, uploadTo)).rejects.toMatchObject({ status: 404 });
    const file = (await drive.files.create({ requestBody: { name: 'a.csv', parents: [folder.id] }, media: { mimeType: 'text/csv', body: 'a' }, supportsAllDrives: true, fields: 'id,driveId,parents' }, uploadTo)).data;
    expect(file).toMatchObject({ driveId: shared.id, parents: [folder.id] });
    await expect(drive.files.get({ fileId: file.id! })).rejects.toMatchObject({ status: 404 });
    expect((await drive.files.get({ fileId: file.id!, supportsAllDrives: true })).data.id).toBe(file.id);
    const q = `'${folder.id}' in parents`;
    expect((await drive.files.list({ q })).data.files).toEqual([]);
    expect((await drive.files.list({ q, supportsAllDrives: true, includeItemsFromAllDrives: true })).data.files!.map((f) => f.id)).toEqual([file.id]);
    expect((await drive.files.list({ q, corpora: 'drive', driveId: shared.id, supportsAllDrives: true, includeItemsFromAllDrives: true })).data.files).toHaveLength(1);
    await expect(drive.files.list({ q, corpora: 'drive', driveId: shared.id, supportsAllDrives: true })).rejects.toMatchObject({ status: 400 });
    expect((await drive.drives.list({})).data.drives!.map((d) => d.id)).toEqual([shared.id]);
  });

  it("a service account may not put content in a user's My Drive folder, even one shared with it: 403 storageQuotaExceeded", async () => {
    const user = await driveFor();
    const runner = await driveFor({ serviceAccount: true });
    const folder = await seed.createFolder({ name: 'POS', owner: user.principal });
    await seed.shareDriveFile(folder.id, runner.principal, 'writer');
    const attempt = runner.drive.files.create({ requestBody: { name: 'pos.csv', parents: [folder.id] }, media: { mimeType: 'text/csv', body: 'x' }, supportsAllDrives: true }, uploadTo);
    await expect(attempt).rejects.toMatchObject({ status: 403, response: { data: { error: { errors: [{ reason: 'storageQuotaExceeded', domain: 'usageLimits' }] } } } });
    // Folders take no quota; a stranger's folder is simply not there.
    expect((await runner.drive.files.create({ requestBody: { name: 'sub', mimeType: FOLDER, parents: [folder.id] } })).status).toBe(200);
    const stranger = await driveFor();
    await expect(stranger.drive.files.create({ requestBody: { name: 'x', parents: [folder.id] } })).rejects.toMatchObject({ status: 404 });
  });
});

describe('resumable uploads (the documented protocol)', () => {
  const CHUNK = 256 * 1024;

  async function initiate(token: string, metadata: object, total: number): Promise<string> {
    const response = await fetch(`${double.apiRoot}upload/drive/v3/files?uploadType=resumable&supportsAllDrives=true&fields=id,size,md5Checksum`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': 'text/csv', 'x-upload-content-length': String(total) },
      body: JSON.stringify(metadata),
    });
    expect(response.status).toBe(200);
    return response.headers.get('location')!;
  }

  const put = (session: string, token: string, range: string, body?: Buffer) =>
    fetch(session, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-range': range }, body });

  it('answers 308 with Range per chunk, resumes after a connection dropped mid-chunk, and ends with the file', async () => {
    const { token, principal } = await driveFor();
    const content = crypto.randomBytes(3 * CHUNK + 1000);
    const session = await initiate(token, { name: 'big.csv' }, content.length);
    expect(new URL(session).searchParams.get('upload_id')).toBeTruthy();

    const first = await put(session, token, `bytes 0-${CHUNK - 1}/${content.length}`, content.subarray(0, CHUNK));
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${CHUNK - 1}`);

    await seed.armFault({ route: 'drive.upload.resumable', principal, fault: { kind: 'drop_after_bytes', bytes: 1000 } });
    await expect(put(session, token, `bytes ${CHUNK}-${2 * CHUNK - 1}/${content.length}`, content.subarray(CHUNK, 2 * CHUNK))).rejects.toThrow();
    const status = await put(session, token, `bytes */${content.length}`);
    expect(status.status).toBe(308);
    const received = Number(/bytes=0-(\d+)/.exec(status.headers.get('range')!)![1]) + 1;
    expect(received).toBe(CHUNK + 1000);

    // Re-sending from an older offset is fine: bytes already there are not doubled.
    const rest = await put(session, token, `bytes ${CHUNK}-${content.length - 1}/${content.length}`, content.subarray(CHUNK));
    expect(rest.status).toBe(200);
    const file = (await rest.json()) as { id: string; size: string; md5Checksum: string };
    expect(file).toMatchObject({ size: String(content.length), md5Checksum: md5(content) });
    expect((await seed.driveFileContent(file.id)).equals(content)).toBe(true); // toEqual on 800 KB takes seconds
    // The session is done: asking again answers the same file.
    expect(await (await put(session, token, `bytes */${content.length}`)).json()).toMatchObject({ id: file.id });
    await expect(put(session, token, `bytes ${10 * CHUNK}-${11 * CHUNK - 1}/${content.length}`, Buffer.alloc(CHUNK))).resolves.toMatchObject({ status: 200 });
  });

  it('checks the service-account rule at initiation and refuses offsets beyond what arrived', async () => {
    const runner = await driveFor({ serviceAccount: true });
    const denied = await fetch(`${double.apiRoot}upload/drive/v3/files?uploadType=resumable`, { method: 'POST', headers: { authorization: `Bearer ${runner.token}`, 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(denied.status).toBe(403);
    const { token } = await driveFor();
    const session = await initiate(token, { name: 'gap.csv' }, 2 * CHUNK);
    expect((await put(session, token, `bytes ${CHUNK}-${2 * CHUNK - 1}/${2 * CHUNK}`, Buffer.alloc(CHUNK))).status).toBe(400);
  });

  it('streams a chunk to disk as it arrives: progress shows mid-request, before the body has ended', async () => {
    const { token } = await driveFor();
    const total = 64 * 1024 * 1024;
    const half = total / 2;
    const session = await initiate(token, { name: 'large.bin' }, total);
    const piece = crypto.randomBytes(CHUNK);
    const hash = crypto.createHash('md5');
    const progress = async () => Number(/bytes=0-(\d+)/.exec((await put(session, token, `bytes */${total}`)).headers.get('range') ?? 'bytes=0--1')?.[1] ?? -1) + 1;
    async function* body() {
      for (let sent = 0; sent < total; sent += CHUNK) {
        if (sent === half) {
          // Hold the rest back until the double says it has (nearly) all of the first half:
          // a double that buffered the body before writing it would never get there.
          const deadline = Date.now() + 20_000;
          while ((await progress()) < half - 4 * 1024 * 1024) {
            if (Date.now() > deadline) throw new Error('the double did not consume the body as it arrived');
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        hash.update(piece);
        yield piece;
      }
    }
    const response = await fetch(session, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-range': `bytes 0-${total - 1}/${total}` }, body: Readable.from(body()), duplex: 'half' } as unknown as RequestInit);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ size: String(total), md5Checksum: hash.digest('hex') });
  });
});
