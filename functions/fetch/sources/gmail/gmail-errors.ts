// What a failed Gmail API call means for the run, through the one Google classifier
// (runtime/google-auth/google-api-errors.ts): 429 and 403 rate limits are transient with the
// Retry-After Gmail sent, 5xx transient, other 4xx permanent, invalid_grant (the refresh happens
// inside an API call) a re-authorisation error naming the refresh-token secret. The Gmail source only
// adds which call failed, and asks here for the statuses it handles itself (a 404 history id).
import { classifyGoogleError, type GoogleErrorContext } from '../../../runtime/google-auth/google-api-errors';
import type { GmailSource } from './config';

export interface GmailCalls {
  // Runs one Gmail call `doing` ("Gmail messages.list"); its failure leaves classified.
  call<T>(doing: string, request: () => Promise<T>): Promise<T>;
  classify(error: unknown, doing: string): Error;
}

export function gmailCalls(pipeline: string, source: Pick<GmailSource, 'auth'>): GmailCalls {
  const context: Omit<GoogleErrorContext, 'doing'> = {
    pipeline,
    ...(source.auth.kind === 'oauth' ? { refreshTokenSecret: source.auth.refreshToken.secret, clientSecrets: [source.auth.clientId.secret, source.auth.clientSecret.secret] } : {}),
  };
  const classify = (error: unknown, doing: string) => classifyGoogleError(error, { ...context, doing });
  return {
    classify,
    async call(doing, request) {
      try {
        return await request();
      } catch (error) {
        throw classify(error, doing);
      }
    },
  };
}

// HTTP status of a googleapis (gaxios) error, for the answers a caller handles itself.
export function googleStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; code?: unknown; response?: { status?: unknown } };
  const status = e.response?.status ?? e.status ?? e.code;
  if (typeof status === 'number') return status;
  if (typeof status === 'string' && /^\d{3}$/.test(status)) return Number(status);
  return undefined;
}

export const isGoogleNotFound = (error: unknown): boolean => googleStatus(error) === 404;
