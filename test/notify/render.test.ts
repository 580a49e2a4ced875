// The pure parts of notify: CSV quoting, HTML escaping, report rendering, dead-letter decoding.
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../functions/notify/csv';
import { describeDeadLetter, stageOfSubscription } from '../../functions/notify/dead-letter';
import { escapeHtml } from '../../functions/notify/html';
import { badFilesOf } from '../../functions/notify/render-alert';
import { attachmentNames, renderReport } from '../../functions/notify/render-report';
import { summarizeRun } from '../../functions/notify/run-summary';
import type { FileRecord, RunRecord } from '../../functions/runtime/run-record';
import { restaurantPos } from '../../pipelines/restaurant-pos';

const run: RunRecord = {
  runId: 'r1', pipeline: 'restaurant-pos', trigger: 'schedule', messageId: 'm', dates: ['2026-11-21'], status: 'partial',
  createdAt: '2026-11-22T11:00:00Z', updatedAt: '2026-11-22T11:00:42Z', finishedAt: '2026-11-22T11:00:42Z',
  expectedFiles: 2, endedFiles: 2, counts: { loaded: 1, skipped: 0, superseded: 0, quarantined: 1, failed: 0, expanded: 0, cancelled: 0 }, stages: {},
};

describe('csv and html', () => {
  it('quotes only what needs it, doubles quotes, ends lines with CRLF', () => {
    const when = new Date('2026-11-21T18:00:00Z');
    expect(toCsv(['a', 'b, c'], [{ a: 'plain', 'b, c': 'say "hi"' }, { a: null, 'b, c': 'x\ny' }, { a: when, 'b, c': ' pad' }])).toBe(
      'a,"b, c"\r\nplain,"say ""hi"""\r\n,"x\ny"\r\n2026-11-21T18:00:00.000Z," pad"\r\n',
    );
  });

  it('escapes markup', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('report rendering', () => {
  it('shows a failed query in the body and attaches only results', () => {
    const report = restaurantPos.reports[0]!;
    const mail = renderReport({
      pipeline: restaurantPos, report, reportIndex: 0, summary: summarizeRun(run, []),
      results: [
        { title: 'Sales by day and category', columns: ['day'], rows: [{ day: '2026-11-21' }] },
        { title: 'Payments by method', columns: [], rows: [], error: 'relation "pos.payments" does not exist' },
      ],
    });
    expect(mail.messageId).toBe('<r1.report@sluice>');
    expect(mail.subject).toBe('Daily sales [restaurant-pos] partial, 2026-11-21');
    expect(mail.html).toContain('This query failed:</b> relation &quot;pos.payments&quot; does not exist');
    expect(mail.attachments?.map((a) => a.filename)).toEqual(['daily-sales-sales-by-day-and-category.csv']);
    expect(attachmentNames({ ...report, queries: [{ title: 'Same', sql: 'x' }, { title: 'same!', sql: 'y' }, { title: '***', sql: 'z' }] })).toEqual([
      'daily-sales-same.csv', 'daily-sales-same-2.csv', 'daily-sales-query-3.csv',
    ]);
  });

  it('names where and why each bad file stopped', () => {
    const files: FileRecord[] = [
      { fileKey: 'a', name: 'A.csv', status: 'loaded', stages: {} },
      { fileKey: 'b', name: 'B.csv', status: 'quarantined', stages: {}, error: { stage: 'transform', message: 'bad date', row: 4 } },
      { fileKey: 'c', name: 'C.csv', status: 'failed', stages: { load: { attempts: 8, error: 'connection refused' } } },
    ];
    expect(badFilesOf(files)).toEqual([
      { name: 'B.csv', status: 'quarantined', stage: 'transform', row: 4, reason: 'bad date' },
      { name: 'C.csv', status: 'failed', stage: 'load', reason: 'connection refused' },
    ]);
  });
});

describe('dead letters', () => {
  it('reads the source stage from the subscription name', () => {
    expect(stageOfSubscription('projects/p/subscriptions/sluice-restaurant-pos-load-push')).toBe('load');
    expect(stageOfSubscription('projects/p/subscriptions/whatever')).toBeUndefined();
    expect(stageOfSubscription(undefined)).toBeUndefined();
  });

  it('falls back to the message shape when the attributes do not name the stage', () => {
    const letter = describeDeadLetter('restaurant-pos', {
      messageId: '1', attributes: { CloudPubSubDeadLetterSourceDeliveryCount: '5', CloudPubSubDeadLetterSourceSubscription: 'odd-name' },
      data: Buffer.from(JSON.stringify({ v: 1, type: 'sluice.loaded', pipeline: 'restaurant-pos', runId: 'r1', fileKey: 'k' })),
    });
    expect(letter).toEqual({ stage: 'aggregate', error: 'gave up after 5 attempts in aggregate', target: { kind: 'file', runId: 'r1', fileKey: 'k' } });
  });

  it('refuses objects and messages of other pipelines', () => {
    const other = describeDeadLetter('restaurant-pos', {
      messageId: '1', attributes: { CloudPubSubDeadLetterSourceDeliveryCount: '5' },
      data: Buffer.from(JSON.stringify({ kind: 'storage#object', name: 'raw/other-pipe/r1/a.csv', bucket: 'b' })),
    });
    expect(other.target.kind).toBe('undecodable');
  });
});
