// Unit tests: the shared definition primitives — cron messages that name the field, secrets found by shape.
import { describe, expect, it } from 'vitest';
import { cronProblem, secretRefsIn } from '../../shared/config-primitives';
import { definePipeline } from '../../shared/pipeline-definition';
import { restaurantPos } from '../../pipelines/restaurant-pos';

describe('cronProblem', () => {
  it.each([
    ['0 25 * * *', 'the hour field (2 of 5) is 25, outside 0–23'],
    ['61 * * * *', 'the minute field (1 of 5) is 61, outside 0–59'],
    ['0 0 32 * *', 'the day of month field (3 of 5) is 32, outside 1–31'],
    ['0 0 * 1-13 *', 'the month field (4 of 5) is 13, outside 1–12'],
    ['0 0 * * 1,8', 'the day of week field (5 of 5) is 8, outside 0–7'],
  ])('names the field and its range: %s', (expr, message) => {
    expect(cronProblem(expr)).toBe(message);
  });

  it('says how many fields it wants and got', () => {
    expect(cronProblem('* * *')).toMatch(/five-field .* got 3 fields/);
    expect(cronProblem('0 0 * * * *')).toMatch(/got 6 fields/);
  });

  it('passes valid expressions, steps included, and reports other faults from the parser', () => {
    for (const ok of ['0 6 * * *', '*/10 * * * *', '0 0-23/2 1,15 * 1-5', '30 7 * * 0']) expect(cronProblem(ok)).toBeUndefined();
    expect(cronProblem('a b c d e')).toMatch(/^is not a valid cron expression: /);
  });

  it('is the message a bad schedule fails the definition with, in one line naming the field', () => {
    expect(() => definePipeline({ ...restaurantPos, schedule: { cron: '0 25 * * *', timeZone: 'UTC' } }))
      .toThrow('pipeline "restaurant-pos" is invalid: schedule.cron: the hour field (2 of 5) is 25, outside 0–23');
  });
});

describe('secretRefsIn', () => {
  it('finds every { secret } by shape, with its path', () => {
    expect(secretRefsIn({ a: { secret: 'x' }, b: [{ auth: { refreshToken: { secret: 'y' } } }], c: { secret: 'z', other: 1 } })).toEqual([
      { secret: 'x', path: ['a', 'secret'] },
      { secret: 'y', path: ['b', 0, 'auth', 'refreshToken', 'secret'] },
    ]);
  });
});
