// Unit tests: which dates a run looks at, which directories that makes, which run a trigger is.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { addDays, calendarDateIn, exportDates, isValidDate } from '../../functions/fetch/export-dates';
import { compactDate } from '../../functions/fetch/export-dates';
import { expandPathTemplate, joinRemote } from '../../functions/fetch/sources/sftp/path-template';
import { parseTrigger } from '../../functions/fetch/parse-trigger';
import { DEAD_LETTER_PUBLISH_TIME, runIdFor, runIdForTrigger, triggerPublishTime } from '../../functions/fetch/run-id';
import { fileIdentity } from '../../functions/fetch/sources/sftp/file-version';
import { ExactSize, contentTypeOf } from '../../functions/fetch/copy-to-raw';
import { PermanentError, TransientError } from '../../shared/errors';

describe('export dates', () => {
  it('takes "today" in the schedule time zone, not UTC', () => {
    // 03:30 UTC on 2 March is still 1 March (22:30) in New York.
    const now = new Date('2026-03-02T03:30:00Z');
    expect(calendarDateIn('America/New_York', now)).toBe('2026-03-01');
    expect(calendarDateIn('UTC', now)).toBe('2026-03-02');
    expect(calendarDateIn('Asia/Tokyo', new Date('2026-03-01T20:00:00Z'))).toBe('2026-03-02');
  });

  it('applies the offset and looks back across a month boundary (leap and non-leap years)', () => {
    const now = new Date('2026-03-02T12:00:00Z');
    expect(exportDates({ now, timeZone: 'America/New_York', dateOffsetDays: -1, lookbackDays: 3 })).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    const leap = new Date('2028-03-02T12:00:00Z');
    expect(exportDates({ now: leap, timeZone: 'America/New_York', dateOffsetDays: -1, lookbackDays: 3 })).toEqual(['2028-02-28', '2028-02-29', '2028-03-01']);
    // Year boundary, in UTC when there is no schedule.
    expect(exportDates({ now: new Date('2027-01-01T00:10:00Z'), dateOffsetDays: 0, lookbackDays: 2 })).toEqual(['2026-12-31', '2027-01-01']);
  });

  it('uses an explicit trigger date as the export date (no offset), with the lookback ending there', () => {
    const now = new Date('2026-06-15T12:00:00Z');
    expect(exportDates({ date: '2026-03-01', now, timeZone: 'America/New_York', dateOffsetDays: -1, lookbackDays: 2 })).toEqual(['2026-02-28', '2026-03-01']);
    expect(exportDates({ date: '2026-03-01', now, dateOffsetDays: -1, lookbackDays: 1 })).toEqual(['2026-03-01']);
  });

  it('does calendar arithmetic across DST changes without losing or repeating a day', () => {
    // US DST starts 2026-03-08: a day of 23 hours must still be one calendar day.
    expect(addDays('2026-03-07', 1)).toBe('2026-03-08');
    expect(addDays('2026-03-09', -2)).toBe('2026-03-07');
    expect(calendarDateIn('America/New_York', new Date('2026-03-08T04:59:00Z'))).toBe('2026-03-07');
    expect(calendarDateIn('America/New_York', new Date('2026-03-08T05:00:00Z'))).toBe('2026-03-08');
  });

  it('tells calendar dates from impossible ones', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2026-02-29')).toBe(false);
    expect(isValidDate('2026-13-01')).toBe(false);
  });
});

describe('path template', () => {
  it('fills every date form and params', () => {
    expect(expandPathTemplate('/exports/{exportId}/{yyyyMMdd}/', '2026-03-01', { exportId: '4471' })).toBe('/exports/4471/20260301/');
    expect(expandPathTemplate('/x/{yyyy}/{MM}/{dd}/{yyyy-MM-dd}', '2026-03-01', {})).toBe('/x/2026/03/01/2026-03-01');
    expect(compactDate('2026-03-01')).toBe('20260301');
    expect(joinRemote('/a/b/', 'c.csv')).toBe('/a/b/c.csv');
    expect(joinRemote('/a/b', 'c.csv')).toBe('/a/b/c.csv');
  });

  it('refuses an unknown placeholder as a permanent error naming it', () => {
    expect(() => expandPathTemplate('/exports/{store}/{yyyyMMdd}', '2026-03-01', { exportId: '1' })).toThrow(PermanentError);
    expect(() => expandPathTemplate('/exports/{store}/{yyyyMMdd}', '2026-03-01', {})).toThrow(/\{store\}/);
    // Inherited properties are not params.
    expect(() => expandPathTemplate('/{constructor}', '2026-03-01', {})).toThrow(/\{constructor\}/);
  });
});

describe('run id', () => {
  const trigger = { pipeline: 'restaurant-pos', trigger: 'schedule' as const };

  it('is the trigger\'s own when it names one', () => {
    expect(runIdFor({ ...trigger, runId: 'manual-1' }, { messageId: '42' })).toBe('manual-1');
    expect(runIdForTrigger({ ...trigger, runId: 'manual-1' }, {})).toBe('manual-1');
  });

  it('is derived from the publish second and the payload, so a redelivery resumes the same run', () => {
    const delivery = { messageId: '1234567890', publishTime: '2026-03-02T11:00:05.123456789Z' };
    const runId = runIdFor(trigger, delivery);
    expect(runId).toMatch(/^run-20260302110005-[0-9a-f]{16}$/);
    expect(runIdFor({ ...trigger }, { ...delivery })).toBe(runId);
    expect(runIdForTrigger(trigger, { publishTime: delivery.publishTime })).toBe(runId);
    // Another payload, or another second, is another run.
    expect(runIdFor({ ...trigger, date: '2026-03-01' }, delivery)).not.toBe(runId);
    expect(runIdFor({ ...trigger, pipeline: 'other' }, delivery)).not.toBe(runId);
    expect(runIdFor({ ...trigger, trigger: 'manual' }, delivery)).not.toBe(runId);
    expect(runIdFor(trigger, { ...delivery, publishTime: '2026-03-02T11:00:06.000Z' })).not.toBe(runId);
    // The same payload in the same second is the same request: one run (see run-id.ts).
    expect(runIdFor(trigger, { messageId: '1234567891', publishTime: '2026-03-02T11:00:05.999Z' })).toBe(runId);
  });

  it('maps a dead-lettered copy of the trigger to the run of the original', () => {
    const original = { messageId: '1234567890', publishTime: '2026-03-02T11:00:05.123456789Z', attributes: {} };
    // As Pub/Sub forwards it: a new id and publish time; the original's, to the millisecond, in an attribute.
    const deadLetter = {
      messageId: '99887766',
      publishTime: '2026-03-02T11:42:17.004Z',
      attributes: { [DEAD_LETTER_PUBLISH_TIME]: '2026-03-02T11:00:05.123+00:00', CloudPubSubDeadLetterSourceDeliveryCount: '5' },
    };
    expect(triggerPublishTime(deadLetter)).toBe('2026-03-02T11:00:05.123+00:00');
    expect(runIdFor(trigger, deadLetter)).toBe(runIdFor(trigger, original));
    expect(runIdForTrigger(trigger, { publishTime: triggerPublishTime(deadLetter) })).toBe(runIdFor(trigger, original));
    // What notify does with the dead letter's bytes.
    const data = Buffer.from(JSON.stringify({ v: 1, type: 'sluice.trigger', ...trigger }));
    expect(runIdFor(parseTrigger(data), deadLetter)).toBe(runIdFor(trigger, original));
    // The emulator's whole-second publish times agree too.
    expect(runIdFor(trigger, { messageId: '1', publishTime: '2026-03-02T11:00:05Z' })).toBe(runIdFor(trigger, original));
  });

  it('falls back to the message id only for a message without a publish time', () => {
    expect(runIdFor(trigger, { messageId: 'a/b c' })).toBe('run-a-b-c');
    expect(() => runIdForTrigger(trigger, {})).toThrow(/no usable publish time/);
  });
});

describe('file identity', () => {
  it('changes with size or mtime: a re-exported file is a new file', () => {
    const base = { pipeline: 'p', path: '/exports/1/20260301/a.csv', size: 10, mtimeMs: 1_000 };
    expect(fileIdentity(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(fileIdentity({ ...base })).toBe(fileIdentity(base));
    expect(fileIdentity({ ...base, size: 11 })).not.toBe(fileIdentity(base));
    expect(fileIdentity({ ...base, mtimeMs: 2_000 })).not.toBe(fileIdentity(base));
    expect(fileIdentity({ ...base, pipeline: 'q' })).not.toBe(fileIdentity(base));
  });
});

describe('copy guards', () => {
  const sink = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

  it('passes a stream of exactly the listed size', async () => {
    await expect(pipeline(Readable.from([Buffer.alloc(3), Buffer.alloc(4)]), new ExactSize(7, 'f'), sink())).resolves.toBeUndefined();
  });

  it('fails a short or a growing file before the end, so the upload is never finalized', async () => {
    await expect(pipeline(Readable.from([Buffer.alloc(3)]), new ExactSize(7, 'f'), sink())).rejects.toThrow(TransientError);
    await expect(pipeline(Readable.from([Buffer.alloc(5), Buffer.alloc(5)]), new ExactSize(7, 'f'), sink())).rejects.toThrow(/grew/);
    // With the content hash known in advance, other bytes of the right length are refused too.
    const sha = createHash('sha256').update(Buffer.alloc(7)).digest('hex');
    await expect(pipeline(Readable.from([Buffer.alloc(7)]), new ExactSize(7, 'f', sha), sink())).resolves.toBeUndefined();
    await expect(pipeline(Readable.from([Buffer.alloc(7, 1)]), new ExactSize(7, 'f', sha), sink())).rejects.toThrow(/changed while being copied/);
  });

  it('names content types by extension', () => {
    expect(contentTypeOf('raw/p/r/20260301/OrderDetails.csv')).toBe('text/csv');
    expect(contentTypeOf('raw/p/r/20260301/dump.GZ')).toBe('application/gzip');
    expect(contentTypeOf('raw/p/r/20260301/README')).toBe('application/octet-stream');
  });
});
