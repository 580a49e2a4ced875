// The only two error kinds a handler throws on purpose. They decide a message's fate:
// permanent → record, quarantine or dead-letter, acknowledge (no retry);
// transient → non-2xx, Pub/Sub redelivers with backoff until max attempts.
// Anything else is treated as transient and bounded by the subscription's max delivery attempts.

export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class TransientError extends Error {
  override name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// Match on `name` as well as `instanceof`: a bundle may carry two copies of these classes.
export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || (error instanceof Error && error.name === 'PermanentError');
}

export function isTransient(error: unknown): boolean {
  return !isPermanent(error);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
