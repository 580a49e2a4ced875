// A report whose query fails still goes out, saying so, and its failure reaches the alert list once:
// by mail and to the alert webhook. The real notify handler, PostgreSQL and SMTP server of the local
// cloud, a webhook receiver on loopback.
import { readFile } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

let world: StageTestWorld;
let h: StageHarness;
let hooks: WebhookReceiver;

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  world = await startStageTestWorld({ label: 'rqa', database: true, smtp: true, secrets: { 'hook-rqa': hooks.url('/hooks/rqa') } });
  h = await stageHarness(world, testPipeline(world, {
    alerts: { to: ['ops@example.com'], webhook: { url: { secret: 'hook-rqa' } } },
    reports: [
      { name: 'ok-report', subject: 'Fine', to: ['managers@example.com'], when: 'always', queries: [{ title: 'one', sql: 'select 1 as n' }] },
      {
        name: 'broken-report', subject: 'Broken', to: ['managers@example.com'], when: 'always',
        queries: [{ title: 'works', sql: 'select 2 as n' }, { title: 'typo', sql: 'select * from no_such_table' }],
      },
    ],
  }));
});

afterAll(async () => {
  await h?.close();
  await world?.stop();
  await hooks?.stop();
});

async function mailsAfter(before: number): Promise<ParsedMail[]> {
  const files = (await world.outbox()).slice(before);
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}

describe('a report query that fails', () => {
  it('mails the report saying so, and alerts once naming the report, the query and the error', async () => {
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-rqa', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 'q1', dates: ['2026-11-30'] });
    await h.context('fetch').setExpectedFiles('r-rqa', 0);
    let complete: Record<string, unknown> | undefined;
    for (let n = eventsBefore + 1; !complete; n++) complete = (await h.waitForEvents(n)).slice(eventsBefore).find((e) => e.runId === 'r-rqa');
    await h.deliver('notify', handleNotify, complete);
    // Redelivered: nothing goes out twice.
    await h.deliver('notify', handleNotify, complete);

    const mails = await mailsAfter(before);
    const ids = mails.map((m) => m.messageId).sort();
    expect(ids).toEqual(['<r-rqa.report-1-query-alert@sluice>', '<r-rqa.report.broken-report@sluice>', '<r-rqa.report@sluice>'].sort());
    const alert = mails.find((m) => m.messageId === '<r-rqa.report-1-query-alert@sluice>')!;
    expect(alert.subject).toContain("report 'broken-report': 1 query(ies) failed");
    expect(alert.text).toContain('typo');
    expect(alert.text).toContain('no_such_table');
    const run = await h.run('r-rqa');
    const deliveries = run?.notifications?.deliveries ?? {};
    expect(deliveries['report-0-query-alert']).toMatchObject({ sent: false });
    expect(deliveries['report-1-query-alert']).toMatchObject({ sent: true, failedQueries: 1 });

    // The webhook: the failing report's alert once; the report without failures posts nothing.
    const posts = hooks.posts('/hooks/rqa');
    expect(posts).toHaveLength(1);
    const posted = (posts[0]!.body as { text: string }).text;
    expect(posted).toContain("report 'broken-report': 1 query(ies) failed");
    expect(posted).toContain('no_such_table');
    expect(deliveries['report-0-query-alert-webhook']).toMatchObject({ sent: false });
    expect(deliveries['report-1-query-alert-webhook']).toMatchObject({ status: 200 });
  });
});
