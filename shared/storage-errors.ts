// The one classifier of Cloud Storage client errors. Callers ask what an error means (isNotFound,
// isPreconditionFailed...) for the answers they handle, and storageErrorIsPermanent / asStageError for
// the rest, so every stage gives a status the same fate.
//
// Per Google's retry strategy (cloud.google.com/storage/docs/retry-strategy): 408, 429, 5xx, socket
// timeouts and TCP disconnects are transient. The 4xx answers we meet mean:
//   400 bad request      permanent: the request itself is refused (an object name Cloud Storage does not
//                        accept, metadata over its limit); sending it again gets the same answer.
//   401 unauthenticated  transient, bounded by max attempts: the credentials were not accepted, which a
//                        fresh deployment sees until its service account's identity propagates.
//   403 forbidden        transient, bounded by max attempts: by design, because an IAM grant made by the
//                        same deployment takes minutes to propagate; a grant that is really missing ends
//                        in the dead letter after max attempts. (Create-only writes onto an existing
//                        object may also be refused with 403 rather than 412; callers check the object.)
//   404 not found        permanent: the bucket or object is not there (callers that expect "gone" ask isNotFound).
//   409 conflict         transient: a concurrent change of the same resource; the next attempt sees its result.
//   412 precondition     transient when a caller leaves it unhandled: another writer got there first, and
//                        the next attempt reads what is there now and decides.
import { PermanentError, TransientError, errorMessage, isPermanent } from './errors';

// HTTP status of a Cloud Storage client error (ApiError.code, or a stream error's `code`).
export function storageStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
  return undefined;
}

export const isBadRequest = (error: unknown): boolean => storageStatus(error) === 400;
export const isNotFound = (error: unknown): boolean => storageStatus(error) === 404;
export const isConflict = (error: unknown): boolean => storageStatus(error) === 409;
export const isPreconditionFailed = (error: unknown): boolean => storageStatus(error) === 412;
export const isForbidden = (error: unknown): boolean => storageStatus(error) === 403;

const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 404]);

// Whether retrying the same request can never help. Everything else, named above or not (5xx, 408,
// 429, socket errors such as ECONNRESET or ETIMEDOUT, errors without a status), is transient and
// bounded by the stage's max attempts.
export function storageErrorIsPermanent(error: unknown): boolean {
  if (isPermanent(error)) return true;
  const status = storageStatus(error);
  return status !== undefined && PERMANENT_STATUSES.has(status);
}

// The error a stage throws for a Cloud Storage failure it does not handle itself: PermanentError or
// TransientError with `what` and the status in the message, the original as the cause.
export function asStageError(error: unknown, what: string): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  if (error instanceof Error && (error.name === 'PermanentError' || error.name === 'TransientError' || error.name === 'InvalidMessageError')) return error;
  const status = storageStatus(error);
  const message = `${what} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}`;
  return storageErrorIsPermanent(error) ? new PermanentError(message, { cause: error }) : new TransientError(message, { cause: error });
}
