// Unit test (no network): Google's error shapes → permanent / transient, by shape and name, with
// messages that say what to do and never carry a token.
import { describe, expect, it } from 'vitest';
import { classifyGoogleError, GoogleApiRetryableError, retryAfterSeconds } from '../../../functions/runtime/google-auth/google-api-errors';
import { isReauthorizationRequired, ReauthorizationRequiredError } from '../../../functions/runtime/google-auth/reauthorization-required-error';
import { isPermanent, PermanentError, TransientError } from '../../../shared/errors';

const context = { pipeline: 'finance-inbox', doing: 'Gmail messages.list', refreshTokenSecret: 'finance-gmail-token', clientSecrets: ['finance-gmail-client-id', 'finance-gmail-client-secret'] };

// What gaxios 7 throws: message, status, response { status, data, headers }, config (with the secrets).
function gaxiosLike(status: number, data: unknown, headers: Record<string, string> = {}, message = 'Request failed'): Error {
  return Object.assign(new Error(message), {
    name: 'GaxiosError',
    status,
    response: { status, data, headers: new Headers(headers) },
    config: { headers: { authorization: 'Bearer ya29.a0SECRETACCESS' }, data: 'refresh_token=1%2F%2F0gSECRETREFRESHTOKEN1234567&client_secret=GOCSPX-SeCrEt1234567890abcd' },
  });
}

describe('OAuth token endpoint errors', () => {
  it('invalid_grant on a user token → ReauthorizationRequiredError naming pipeline, secret and fix, not the token', () => {
    const error = classifyGoogleError(gaxiosLike(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }, {}, 'invalid_grant'), context);
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(error.name).toBe('ReauthorizationRequiredError');
    expect(isPermanent(error)).toBe(true);
    expect(error.message).toContain('"finance-inbox"');
    expect(error.message).toContain('"finance-gmail-token"');
    expect(error.message).toContain('npm run auth -- finance-inbox');
    expect(error.message).toContain('Token has been expired or revoked.');
    expect(error.message).not.toMatch(/ya29|1\/\/|1%2F|GOCSPX/);
    expect((error as { cause?: unknown }).cause).toBeUndefined();
  });

  it('recognises invalid_grant from the message alone (gtoken, a copy of gaxios) and the ReAuth JSON form', () => {
    expect(isReauthorizationRequired(classifyGoogleError(new Error('invalid_grant: Bad Request'), context))).toBe(true);
    expect(isReauthorizationRequired(classifyGoogleError(new Error('{"error":"invalid_grant","error_description":"reauth related error (invalid_rapt)","error_subtype":"invalid_rapt"}'), context))).toBe(true);
    expect(isReauthorizationRequired(classifyGoogleError(gaxiosLike(400, JSON.stringify({ error: 'invalid_grant' })), context))).toBe(true);
  });

  it('invalid_grant for a service account is a configuration error, not a re-sign-in', () => {
    const error = classifyGoogleError(new Error('invalid_grant: Invalid JWT Signature.'), { pipeline: 'p', doing: 'signing in' });
    expect(isReauthorizationRequired(error)).toBe(false);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('Invalid JWT Signature');
  });

  it('invalid_client → permanent, naming the client secrets', () => {
    const error = classifyGoogleError(gaxiosLike(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }), context);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('"finance-gmail-client-id"');
    expect(error.message).toContain('invalid_client');
  });

  it('unauthorized_client (delegation not authorised in the Admin console) → permanent with the fix', () => {
    const error = classifyGoogleError(gaxiosLike(401, { error: 'unauthorized_client' }), { pipeline: 'p', doing: 'signing in' });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('Admin console');
  });
});

describe('API errors', () => {
  const apiError = (code: number, reason: string, message = 'x') => ({ error: { code, message, errors: [{ reason, message, domain: 'usageLimits' }] } });

  it('429 and 403 rate limits → transient, keeping Retry-After', () => {
    const throttled = classifyGoogleError(gaxiosLike(429, apiError(429, 'rateLimitExceeded'), { 'retry-after': '17' }), context);
    expect(throttled).toBeInstanceOf(GoogleApiRetryableError);
    expect(throttled).toBeInstanceOf(TransientError);
    expect((throttled as GoogleApiRetryableError).retryAfterSeconds).toBe(17);
    expect((throttled as GoogleApiRetryableError).status).toBe(429);
    for (const reason of ['rateLimitExceeded', 'userRateLimitExceeded']) {
      const error = classifyGoogleError(gaxiosLike(403, apiError(403, reason)), context);
      expect(isPermanent(error), reason).toBe(false);
      expect((error as GoogleApiRetryableError).reason).toBe(reason);
    }
  });

  it('5xx → transient, an HTTP-date Retry-After as seconds from now', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const error = classifyGoogleError(gaxiosLike(503, apiError(503, 'backendError'), { 'retry-after': 'Tue, 01 Dec 2026 10:00:30 GMT' }), { ...context, now: () => now });
    expect(error).toBeInstanceOf(GoogleApiRetryableError);
    expect((error as GoogleApiRetryableError).retryAfterSeconds).toBe(30);
    expect(isPermanent(classifyGoogleError(gaxiosLike(500, 'oops'), context))).toBe(false);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
  });

  it('a 401 after the client refreshed and retried → transient', () => {
    const error = classifyGoogleError(gaxiosLike(401, apiError(401, 'authError', 'Invalid Credentials')), context);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('401');
  });

  it('other 403, 404, 400 → permanent with Google\'s words', () => {
    const forbidden = classifyGoogleError(gaxiosLike(403, apiError(403, 'storageQuotaExceeded', 'The user\'s Drive storage quota has been exceeded.')), context);
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect(forbidden.message).toContain('storageQuotaExceeded');
    expect(forbidden.message).toContain('HTTP 403');
    expect(classifyGoogleError(gaxiosLike(404, apiError(404, 'notFound', 'File not found: abc.')), context)).toBeInstanceOf(PermanentError);
    expect(classifyGoogleError(gaxiosLike(400, apiError(400, 'invalidArgument')), context)).toBeInstanceOf(PermanentError);
  });

  it('reads `errors` googleapis copies onto the error, and a numeric `code` as the status', () => {
    const error = Object.assign(new Error('Rate Limit Exceeded'), { code: 403, errors: [{ reason: 'userRateLimitExceeded' }] });
    expect(classifyGoogleError(error, context)).toBeInstanceOf(GoogleApiRetryableError);
  });
});

describe('everything else', () => {
  it('network errors and unknown errors → transient', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyGoogleError(reset, context)).toBeInstanceOf(TransientError);
    expect(classifyGoogleError(reset, context).message).toContain('ECONNRESET');
    const wrapped = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(classifyGoogleError(wrapped, context).message).toContain('ECONNREFUSED');
    expect(classifyGoogleError(new Error('what is this'), context)).toBeInstanceOf(TransientError);
    expect(classifyGoogleError('a string', context)).toBeInstanceOf(TransientError);
  });

  it('keeps an error already decided, matched by name too (a copy from another bundle)', () => {
    const reauth = new ReauthorizationRequiredError({ pipeline: 'p', secret: 's' });
    expect(classifyGoogleError(reauth, context)).toBe(reauth);
    const copy = Object.assign(new Error('m'), { name: 'ReauthorizationRequiredError' });
    expect(classifyGoogleError(copy, context)).toBe(copy);
    const permanent = new PermanentError('bad config');
    expect(classifyGoogleError(permanent, context)).toBe(permanent);
  });

  it('scrubs a token Google or a dependency quoted in its message', () => {
    const error = classifyGoogleError(new Error('unexpected reply for ya29.a0AfH6SMBxLEAKED'), context);
    expect(error.message).not.toContain('ya29');
  });
});
