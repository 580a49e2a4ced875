// The demo pipeline end to end on the local cloud, real clients and servers throughout:
// SFTP → Cloud Storage → transform → PostgreSQL → Firestore roll-ups → report e-mail.
import { GoogleApiDoubleClient } from '../../emulator/google-apis/double-client';
import type { DriveDestination } from '../../shared/pipeline-definition';
import { localCloud } from '../support/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';
import type { FinishedRun } from '../../emulator/run-watch';
import { expectEveryFileLoaded, expectRollupsMatchSql, tableCounts } from './assertions';

const DATES = ['2026-11-18', '2026-11-19', '2026-11-20'];

describe('demo pipeline end to end', () => {
  let h: DemoHarness;
  let run: FinishedRun;
  let fixture: ReturnType<DemoHarness['generate']>;

  beforeAll(async () => {
    h = await startDemoHarness();
    fixture = h.generate(DATES);
    run = await h.runOnce({ date: DATES[2] });
  });
  afterAll(async () => h?.close());

  it('succeeds with every file loaded', () => {
    expectEveryFileLoaded(run, 9);
  });

  it("loads every table's fixture rows exactly once", async () => {
    expect(await tableCounts(h)).toEqual(fixture.rows);
  });

  it('keeps Firestore roll-ups equal to the same roll-ups computed by SQL', async () => {
    await expectRollupsMatchSql(h);
  });

  it('mails the report with an HTML table and a CSV attachment', async () => {
    const mails = await h.mailsFor(run.run.runId);
    const report = mails.find((m) => (m.attachments ?? []).some((a) => a.filename?.endsWith('.csv')));
    expect(report, 'report e-mail').toBeDefined();
    expect(report?.html).toContain('<table');
    expect(report?.html).toContain('Dessert');
    const csv = report?.attachments.find((a) => a.filename?.includes('category'))?.content.toString('utf8') ?? '';
    expect(csv.split(/\r?\n/)[0]).toContain('category');
    expect(csv).toContain('2026-11-19');
  });

  it('copies each night\'s CSV export to the Drive folder, one dated subfolder per day, once', async () => {
    const google = new GoogleApiDoubleClient(localCloud().google);
    const folderId = (h.pipeline.destinations[0] as DriveDestination).folderId;
    const subfolders = (await google.driveFiles({ parentId: folderId })).filter((f) => f.mimeType === 'application/vnd.google-apps.folder');
    expect(subfolders.map((f) => f.name).sort()).toEqual(DATES);
    const copied = (await Promise.all(subfolders.map((f) => google.driveFiles({ parentId: f.id })))).flat();
    expect(copied).toHaveLength(9);
    expect(copied.every((f) => f.name.endsWith('.csv') && /^[0-9a-f]{64}$/.test(f.appProperties?.sha256 ?? ''))).toBe(true);
    // Each upload is one delivery recorded on the run, with the Drive file it made.
    const deliveries = run.run.notifications?.deliveries ?? {};
    const fromRecord = Object.values(deliveries).map((d) => d.fileId).filter(Boolean).sort();
    expect(fromRecord).toEqual(copied.map((f) => f.id).sort());
  });

  it('archives the raw files and leaves nothing staged', async () => {
    const [raw] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `raw/${h.pipeline.name}/` });
    const [staged] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `staged/${h.pipeline.name}/` });
    const [archived] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `archive/${h.pipeline.name}/` });
    expect(raw).toHaveLength(0);
    expect(staged).toHaveLength(0);
    expect(archived).toHaveLength(9);
  });

  it('skips every file on a second run, as already fetched, and says the run brought nothing new', async () => {
    const second = await h.runOnce({ date: DATES[2] });
    expect(second.run.status).toBe('no-new-data');
    expect(second.run.expectedFiles).toBe(0);
    expect(second.run.counts.skipped).toBe(9);
    expect(await tableCounts(h)).toEqual(fixture.rows);
    // The demo's report is mailed for new data only: a re-trigger does not mail "succeeded" over old rows.
    expect(await h.mailsFor(second.run.runId)).toHaveLength(0);
  });
});
