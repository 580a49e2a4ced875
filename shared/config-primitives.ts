// Zod building blocks every part of a pipeline definition shares (the pipeline itself, each source
// connector's config, each destination's). Plain data: zod and croner only, no I/O.
import { Cron } from 'croner';
import { z } from 'zod';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const identifier = (what: string) =>
  z.string().regex(IDENTIFIER, `${what} must be a plain SQL identifier (letters, digits, _; at most 63 characters)`);

// A reference to a secret by name. The value lives in Secret Manager (cloud) or the local secrets
// directory (emulator) and is read at run time only. Any object of exactly this shape anywhere in a
// definition is a secret reference: `secretRefsIn` finds them all, so a new connector's secrets are
// checked and granted without being listed anywhere else.
export const secretRef = z.object({ secret: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'secret names are lower-case letters, digits and -') }).strict();
export type SecretRef = z.infer<typeof secretRef>;

export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as "America/New_York"');

// Cloud Scheduler's five fields and their ranges, for messages that say which field is wrong.
const CRON_FIELDS: Array<{ name: string; min: number; max: number }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

// What is wrong with a cron expression, in words an operator can act on; undefined when it is valid.
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `must be a five-field cron expression (minute hour day-of-month month day-of-week), as Cloud Scheduler takes; got ${fields.length} field${fields.length === 1 ? '' : 's'}`;
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i]!;
    // Every number in the field (lists, ranges, steps' bases); a step's divisor is not a value.
    for (const part of field.split(',')) {
      const [range] = part.split('/');
      for (const value of (range ?? '').split('-')) {
        if (!/^\d+$/.test(value)) continue;
        const n = Number(value);
        if (n < min || n > max) return `the ${name} field (${i + 1} of 5) is ${n}, outside ${min}–${max}`;
      }
    }
  }
  try {
    new Cron(expr, { paused: true });
    return undefined;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message.replace(/^CronPattern:\s*/, '')}`;
  }
}

export const cron = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const regex = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

export interface FoundSecretRef {
  secret: string;
  // Where in the value it was found (zod-style path), for "secret X is not listed" errors.
  path: (string | number)[];
}

// Every `{ secret }` reference inside a value (a parsed definition or one part of it), depth first.
export function secretRefsIn(value: unknown, path: (string | number)[] = []): FoundSecretRef[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretRefsIn(item, [...path, i]));
  if (value === null || typeof value !== 'object') return [];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === 'secret' && typeof entries[0]![1] === 'string') {
    return [{ secret: entries[0]![1], path: [...path, 'secret'] }];
  }
  return entries.flatMap(([key, item]) => secretRefsIn(item, [...path, key]));
}
