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

export const cron = z.string().refine((expr) => {
  try {
    new Cron(expr, { paused: true });
    return expr.trim().split(/\s+/).length === 5;
  } catch {
    return false;
  }
}, 'must be a five-field cron expression, as Cloud Scheduler takes');

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
