// What a failed Gmail API call means for the run. Until the shared Google API classifier
// (functions/runtime/google-auth) is on this branch, this is the Gmail source's own, behind one
// function so it can be swapped for that one. Gmail's usage-limit guide: 429 and 403
// rateLimitExceeded / userRateLimitExceeded are "slow down" (transient, Retry-After when given),
// 5xx is Google's side (transient); 400 and 403 for other reasons (insufficient scopes, a label
// name Gmail refuses) are permanent. A re-authorisation error from sign-in passes through as it is.
import { PermanentError, TransientError, errorMessage, isPermanent } from '../../../../shared/errors';
import { redact } from '../../../../shared/redact';

interface GoogleApiErrorShape {
  status?: number;
  code?: number | string;
  response?: { status?: number; headers?: unknown; data?: { error?: { errors?: Array<{ reason?: string }>; status?: string } } };
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'concurrentLimitExceeded', 'backendError']);

export function googleStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as GoogleApiErrorShape;
  const status = e.response?.status ?? e.status ?? e.code;
  if (typeof status === 'number') return status;
  if (typeof status === 'string' && /^\d{3}$/.test(status)) return Number(status);
  return undefined;
}

export function googleReason(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as GoogleApiErrorShape).response?.data?.error?.errors?.[0]?.reason;
}

export const isGoogleNotFound = (error: unknown): boolean => googleStatus(error) === 404;

// Seconds the API asked us to wait (Retry-After), when it said.
export function retryAfterSeconds(error: unknown): number | undefined {
  const headers = (error as GoogleApiErrorShape | null)?.response?.headers;
  let value: unknown;
  if (headers instanceof Headers) value = headers.get('retry-after');
  else if (headers && typeof headers === 'object') value = (headers as Record<string, unknown>)['retry-after'];
  const seconds = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

// The error to throw for a failed call `doing` ("listing messages"): a new error with the status,
// the reason and Google's words (scrubbed), never the client's error as `cause` — a GaxiosError
// carries its request config, Authorization header included.
export function classifyGmailError(error: unknown, doing: string): Error {
  if (isPermanent(error) || error instanceof TransientError) return error as Error;
  const status = googleStatus(error);
  const reason = googleReason(error);
  const detail = `Gmail API ${status ?? 'request'}${reason ? ` ${reason}` : ''} while ${doing}: ${redact(errorMessage(error))}`;
  if (status === 429 || (reason !== undefined && RATE_REASONS.has(reason))) {
    const wait = retryAfterSeconds(error);
    return new TransientError(`${detail}${wait !== undefined ? ` (retry after ${wait} s)` : ''}`);
  }
  if (status !== undefined && status >= 500) return new TransientError(detail);
  if (status === 400 || status === 403) return new PermanentError(detail);
  // 401 (a token refreshed a moment too late), 404 the caller did not expect, sockets: transient,
  // bounded by the stage's max attempts.
  return new TransientError(detail);
}

// Runs one Gmail call, classifying its failure.
export async function gmailCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyGmailError(error, doing);
  }
}
