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

// A message that is not what its stage accepts: never retried, sent to the dead-letter topic with the reason.
export class InvalidMessageError extends PermanentError {
  override name = 'InvalidMessageError';
}

const PERMANENT_NAMES = new Set(['PermanentError', 'InvalidMessageError']);

// Match on `name` as well as `instanceof`: a bundle may carry two copies of these classes.
export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || (error instanceof Error && PERMANENT_NAMES.has(error.name));
}

export function isInvalidMessage(error: unknown): boolean {
  return error instanceof InvalidMessageError || (error instanceof Error && error.name === 'InvalidMessageError');
}

export function isTransient(error: unknown): boolean {
  return !isPermanent(error);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
