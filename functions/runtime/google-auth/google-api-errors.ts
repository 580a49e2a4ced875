// Google API and OAuth failures → the two kinds that decide a message's fate (shared/errors.ts).
// One classifier for the dependency, used by the sign-in code and by every Workspace connector.
// It reads what gaxios/googleapis put on an error by shape (status, response.data, code, headers),
// never by instanceof alone, and builds a NEW error with a scrubbed message: a GaxiosError carries
// its request config (Authorization header, a form body with the refresh token and client secret),
// so it is never attached as `cause`, and nothing of it but the status and Google's words goes on.
import { PermanentError, TransientError, isPermanent } from '../../../shared/errors';
import { redact } from '../../../shared/redact';
import { ReauthorizationRequiredError, isReauthorizationRequired } from './reauthorization-required-error';

// A transient failure that says when to come back (429, 403 rate limits, 503 with Retry-After), so the
// stage can retry when the API says rather than on a blind backoff.
export class GoogleApiRetryableError extends TransientError {
  override name = 'GoogleApiRetryableError';
  readonly status: number | undefined;
  readonly reason: string | undefined;
  // Seconds from now, when Google sent a Retry-After.
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, facts: { status?: number; reason?: string; retryAfterSeconds?: number }) {
    super(message);
    this.status = facts.status;
    this.reason = facts.reason;
    this.retryAfterSeconds = facts.retryAfterSeconds;
  }
}

export interface GoogleErrorContext {
  pipeline: string;
  // What was being done, for the message: "Gmail messages.list", "refreshing the access token".
  doing: string;
  // The refresh-token secret when the client signs in with a user's OAuth token: an invalid_grant
  // then means "sign in again"; for a service account it is a configuration error.
  refreshTokenSecret?: string;
  // The OAuth client's secrets, named in an invalid_client message.
  clientSecrets?: string[];
  now?: () => number;
}

// 403s that are quota pacing, not a refusal (Gmail and Drive "Usage limits" pages).
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'TimeoutError', 'AbortError', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);

interface ErrorFacts {
  status?: number;
  // OAuth token endpoint: { error: "invalid_grant", error_description }.
  oauthError?: string;
  description?: string;
  // API error: { error: { code, message, errors: [{ reason }], status } }.
  reason?: string;
  apiMessage?: string;
  networkCode?: string;
  retryAfterSeconds?: number;
}

export function classifyGoogleError(error: unknown, context: GoogleErrorContext): Error {
  // Already decided (ours, or a connector's): keep it.
  if (isReauthorizationRequired(error)) return error as Error;
  if (error instanceof Error && (isPermanent(error) || error.name === 'TransientError' || error.name === 'GoogleApiRetryableError')) return error;

  const facts = factsOf(error, context.now ?? Date.now);
  const where = `pipeline "${context.pipeline}": ${context.doing}`;
  const said = scrub(facts.description ?? facts.apiMessage);
  const saidPart = said ? `: ${said}` : '';

  if (facts.oauthError === 'invalid_grant' || facts.oauthError === 'invalid_rapt') {
    if (context.refreshTokenSecret) return new ReauthorizationRequiredError({ pipeline: context.pipeline, secret: context.refreshTokenSecret, ...(said ? { said } : {}) });
    return new PermanentError(`${where} failed: Google refused the service account's signed token (invalid_grant${saidPart}); check the key secret is current and, with a subject, that the subject is a user of the Workspace domain`);
  }
  if (facts.oauthError === 'invalid_client') {
    const secrets = context.clientSecrets?.length ? ` in secrets ${context.clientSecrets.map((s) => `"${s}"`).join(' and ')}` : '';
    return new PermanentError(`${where} failed: Google does not know the OAuth client${secrets} (invalid_client${saidPart}); check the client id and secret match one OAuth client of type "Desktop app", then run \`npm run auth -- ${context.pipeline}\``);
  }
  if (facts.oauthError === 'unauthorized_client') {
    return new PermanentError(`${where} failed: the client may not use this grant (unauthorized_client${saidPart}); for domain-wide delegation, authorise the service account's client id for these scopes in the Workspace Admin console`);
  }
  if (facts.oauthError === 'invalid_scope' || facts.oauthError === 'access_denied') {
    return new PermanentError(`${where} failed: Google refused the scopes (${facts.oauthError}${saidPart})`);
  }

  const status = facts.status;
  const reasonPart = facts.reason ? ` ${facts.reason}` : '';
  if (status === 429 || (status === 403 && facts.reason !== undefined && RATE_LIMIT_REASONS.has(facts.reason)) || (status !== undefined && status >= 500)) {
    const after = facts.retryAfterSeconds !== undefined ? `; retry after ${facts.retryAfterSeconds}s` : '';
    return new GoogleApiRetryableError(`${where} failed for now (HTTP ${status}${reasonPart}${saidPart})${after}`, {
      status, ...(facts.reason ? { reason: facts.reason } : {}), ...(facts.retryAfterSeconds !== undefined ? { retryAfterSeconds: facts.retryAfterSeconds } : {}),
    });
  }
  // The client already refreshed the token and retried once (forceRefreshOnFailure): a second 401 is
  // most likely a token Google has not propagated yet or a clock skew, so the message is retried.
  if (status === 401) return new TransientError(`${where} failed: Google did not accept a fresh access token (HTTP 401${reasonPart}${saidPart})`);
  if (status === 408) return new TransientError(`${where} timed out (HTTP 408)`);
  if (status !== undefined && status >= 400) {
    return new PermanentError(`${where} failed (HTTP ${status}${reasonPart}${saidPart})`);
  }
  if (facts.networkCode !== undefined) return new TransientError(`${where} failed: network error ${facts.networkCode}`);
  // Unknown: transient, bounded by the subscription's max delivery attempts.
  return new TransientError(`${where} failed: ${scrub(error instanceof Error ? error.message : String(error)) || 'unknown error'}`);
}

function factsOf(error: unknown, now: () => number): ErrorFacts {
  const facts: ErrorFacts = {};
  if (error === null || typeof error !== 'object') return facts;
  const e = error as Record<string, unknown>;
  const response = (e.response ?? undefined) as { status?: unknown; data?: unknown; headers?: unknown } | undefined;
  const status = numberOf(response?.status) ?? numberOf(e.status) ?? (typeof e.code === 'number' ? e.code : undefined);
  if (status !== undefined) facts.status = status;

  let data: unknown = response?.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      // A plain-text body: nothing structured to read.
    }
  }
  if (data && typeof data === 'object') {
    const body = data as Record<string, unknown>;
    if (typeof body.error === 'string') {
      facts.oauthError = body.error;
      if (typeof body.error_subtype === 'string' && body.error_subtype === 'invalid_rapt') facts.oauthError = 'invalid_rapt';
      if (typeof body.error_description === 'string') facts.description = body.error_description;
    } else if (body.error && typeof body.error === 'object') {
      const apiError = body.error as { message?: unknown; errors?: unknown; status?: unknown };
      if (typeof apiError.message === 'string') facts.apiMessage = apiError.message;
      const first = Array.isArray(apiError.errors) ? (apiError.errors[0] as { reason?: unknown } | undefined) : undefined;
      if (typeof first?.reason === 'string') facts.reason = first.reason;
      else if (typeof apiError.status === 'string') facts.reason = apiError.status;
    }
  }
  // googleapis copies the API's `errors` array onto the error itself.
  if (facts.reason === undefined && Array.isArray(e.errors)) {
    const first = e.errors[0] as { reason?: unknown } | undefined;
    if (typeof first?.reason === 'string') facts.reason = first.reason;
  }
  // gaxios/gtoken put the OAuth error in the message ("invalid_grant", "invalid_grant: Bad Request").
  if (facts.oauthError === undefined && typeof e.message === 'string') {
    const m = /^(invalid_grant|invalid_client|unauthorized_client|invalid_scope)\b(?::\s*(.*))?/.exec(e.message);
    if (m) {
      facts.oauthError = m[1]!;
      if (m[2]) facts.description = m[2];
    } else if (/"error"\s*:\s*"invalid_grant"/.test(e.message)) {
      facts.oauthError = 'invalid_grant';
    }
  }
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) facts.networkCode = e.code;
  const cause = e.cause as { code?: unknown } | undefined;
  if (facts.networkCode === undefined && typeof cause?.code === 'string' && NETWORK_CODES.has(cause.code)) facts.networkCode = cause.code;

  const retryAfter = headerOf(response?.headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = retryAfterSeconds(retryAfter, now());
    if (seconds !== undefined) facts.retryAfterSeconds = seconds;
  }
  return facts;
}

const numberOf = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

// gaxios 7 hands a fetch Headers; older copies a plain object.
function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name && typeof value === 'string') return value;
  return undefined;
}

// Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3).
export function retryAfterSeconds(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

const scrub = (text: string | undefined): string | undefined => (text ? redact(text).slice(0, 300) : undefined);
