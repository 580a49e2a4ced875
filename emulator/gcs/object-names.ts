import { GcsError } from './errors';

// Cloud Storage's object naming requirements (cloud.google.com/storage/docs/objects#naming):
// 1–1,024 bytes of UTF-8, no carriage return or line feed, not `.` or `..`, and not starting
// with `.well-known/acme-challenge/`. GCS answers a write to such a name with 400 `invalid`; the
// emulator does the same for every write that names a destination (uploads of all three kinds,
// copy/rewrite/move, compose), so a name that passes here passes on Google Cloud.

const MAX_NAME_BYTES = 1024;

function invalidName(name: string, why: string): GcsError {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  return new GcsError(400, `The specified object name is not valid: ${shown} ${why}.`, { domain: 'global', reason: 'invalid' });
}

/** Throws 400 `invalid` for a name Cloud Storage does not accept; the reason names the rule. */
export function checkObjectName(name: string): void {
  if (name === '') throw new GcsError(400, 'Required object name', { domain: 'global', reason: 'required' });
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) throw invalidName(name, `is ${bytes} bytes of UTF-8; the limit is ${MAX_NAME_BYTES}`);
  if (/[\r\n]/.test(name)) throw invalidName(name, 'contains a carriage return or line feed');
  if (name === '.' || name === '..') throw invalidName(name, 'may not be "." or ".."');
  if (name.startsWith('.well-known/acme-challenge/')) throw invalidName(name, 'may not start with ".well-known/acme-challenge/"');
}
