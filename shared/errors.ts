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

// Every error class the code base treats as permanent, by name: the PermanentError subclasses and the
// plain Error classes that mean "this input can never succeed" (test/shared/errors.test.ts
// checks the list against the source, so a new class cannot be forgotten).
export const PERMANENT_ERROR_NAMES: readonly string[] = [
  'PermanentError',
  'InvalidMessageError',
  // load: a value or schema the table refuses; a header that cannot be a SQL identifier.
  'FileDataError',
  'InvalidIdentifierError',
  // transform: a file that cannot be parsed, and the parser errors it wraps.
  'MalformedFileError',
  'CsvFormatError',
  'UnknownEncodingError',
  // a pipeline definition that does not validate.
  'PipelineDefinitionError',
  // Google refused an OAuth refresh token for good: a person must sign in again (npm run auth).
  'ReauthorizationRequiredError',
];
const PERMANENT_NAMES = new Set(PERMANENT_ERROR_NAMES);

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
