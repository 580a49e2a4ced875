// Notify's mail delivery under failure, on the real local cloud (Firestore run records, PostgreSQL, a
// real SMTP server): alerts do not wait for the database, a failed send gives its claim back, and a
// run that brought nothing new says so instead of claiming success.
import { readFile } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { TransientError } from '../../shared/errors';
import type { Pipeline } from '../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;

const report = (when?: 'new-data' | 'always') => ({
  name: 'daily',
  subject: 'Daily',
  to: ['managers@example.com'],
  queries: [{ title: 'Count', sql: 'select count(*) as n from things' }],
  ...(when ? { when } : {}),
});

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'ntd', database: true, smtp: true });
  await world.db.query('create table things (id int)');
  await world.db.query('insert into things values (1), (2)');
});

afterAll(async () => {
  await world?.stop();
});

async function mailsAfter(before: number): Promise<ParsedMail[]> {
  const files = (await world.outbox()).slice(before);
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}

// The same pipeline (name and all) with some of its parts swapped, as a later instance would see it.
const variant = (pipeline: Pipeline, change: Partial<Pipeline>): Pipeline => ({ ...pipeline, ...change });

async function partialRun(h: StageHarness, runId: string): Promise<Record<string, unknown>> {
  const before = h.events.length;
  await h.startRun(runId, [{ fileKey: 'fa', name: 'A.csv' }, { fileKey: 'fq', name: 'Q.csv' }]);
  const ctx = h.context('aggregate');
  await h.runs.stageSucceeded(runId, 'fa', 'load', { rows: 2 });
  await ctx.finishFile(runId, 'fa', 'loaded', { stage: 'aggregate' });
  await ctx.finishFile(runId, 'fq', 'quarantined', { stage: 'transform', error: 'row 3 has 1 fields, the header has 2', row: 3 });
  return (await h.waitForEvents(before + 1))[before]!;
}

describe('notify: a database outage', () => {
  it('sends the alert at once, holds no claim while the report waits, and sends the report once after', async () => {
    const pipeline = testPipeline(world, { reports: [report()] });
    const down = await stageHarness(world, variant(pipeline, { database: { ...pipeline.database, url: { secret: 'dead-db-url' } } }));
    const up = await stageHarness(world, pipeline);
    const before = (await world.outbox()).length;
    const event = await partialRun(down, 'r-outage');

    // Database down: the alert goes out, the report waits for a retry.
    await expect(down.deliver('notify', handleNotify, event)).rejects.toBeInstanceOf(TransientError);
    await expect(down.deliver('notify', handleNotify, event)).rejects.toBeInstanceOf(TransientError);
    expect((await mailsAfter(before)).map((m) => m.messageId)).toEqual(['<r-outage.alert@sluice>']);
    const waiting = (await down.run('r-outage')) as unknown as { notificationClaims?: Record<string, unknown>; notifications?: Record<string, unknown> };
    expect(waiting.notificationClaims ?? {}).toEqual({});
    expect(waiting.notifications?.alertSentAt).toBeTruthy();

    // Back up: the next delivery sends the report, at once (no claim to wait out) and only once.
    await up.deliver('notify', handleNotify, event);
    await up.deliver('notify', handleNotify, event);
    expect((await mailsAfter(before)).map((m) => m.messageId).sort()).toEqual(['<r-outage.alert@sluice>', '<r-outage.report@sluice>']);
    expect((await up.run('r-outage'))?.notifications?.reportSentAt).toBeTruthy();
    await down.close();
    await up.close();
  });

  it('gives a claim back when the send fails, so the next delivery sends without waiting out the lease', async () => {
    const pipeline = testPipeline(world, { reports: [report()] });
    const noSmtp = await stageHarness(world, variant(pipeline, { mail: { ...pipeline.mail, smtpUrl: { secret: 'dead-smtp-url' } } }));
    const smtp = await stageHarness(world, pipeline);
    const before = (await world.outbox()).length;
    const event = await partialRun(noSmtp, 'r-smtp-back');
    await expect(noSmtp.deliver('notify', handleNotify, event)).rejects.toBeInstanceOf(TransientError);
    const run = (await noSmtp.run('r-smtp-back')) as unknown as { notificationClaims?: Record<string, unknown> };
    expect(run.notificationClaims ?? {}).toEqual({});

    await smtp.deliver('notify', handleNotify, event);
    expect((await mailsAfter(before)).map((m) => m.messageId).sort()).toEqual(['<r-smtp-back.alert@sluice>', '<r-smtp-back.report@sluice>']);
    await noSmtp.close();
    await smtp.close();
  });
});

describe('notify: a run with nothing new', () => {
  async function emptyRun(h: StageHarness, runId: string): Promise<Record<string, unknown>> {
    const before = h.events.length;
    await h.runs.startRun(runId, { pipeline: h.pipeline.name, trigger: 'manual', messageId: `t-${runId}`, dates: ['2026-11-21'] });
    await h.runs.recordSkipped(runId, 'fs', { name: '20261121/A.csv', reason: 'already fetched by run r-earlier' });
    await h.context('fetch').setExpectedFiles(runId, 0);
    return (await h.waitForEvents(before + 1))[before]!;
  }

  it('ends no-new-data and mails no report by default', async () => {
    const h = await stageHarness(world, testPipeline(world, { reports: [report()] }));
    const before = (await world.outbox()).length;
    const event = await emptyRun(h, 'r-empty');
    await h.deliver('notify', handleNotify, event);
    expect((await h.run('r-empty'))?.status).toBe('no-new-data');
    expect(await mailsAfter(before)).toHaveLength(0);
    await h.close();
  });

  it("mails a report declared when: 'always', saying nothing was new", async () => {
    const h = await stageHarness(world, testPipeline(world, { reports: [report('always')] }));
    const before = (await world.outbox()).length;
    const event = await emptyRun(h, 'r-empty-always');
    await h.deliver('notify', handleNotify, event);
    const mails = await mailsAfter(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('no-new-data');
    expect(mails[0]!.text).toContain('Nothing new: all 1 file(s) this run saw had already been fetched by earlier runs; no rows were loaded.');
    await h.close();
  });
});
