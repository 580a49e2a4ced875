// The two error shapes Google answers with: API calls (Gmail, Drive) use the JSON error envelope
// `{error:{code,message,status,errors:[{message,domain,reason}]}}`; the OAuth endpoints use the
// flat RFC 6749 shape `{error, error_description}`. Both are thrown as values and written by http.ts.

const STATUS_OF_CODE: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface ApiErrorDetail {
  reason: string;
  domain?: string;
  location?: string;
  locationType?: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: number,
    message: string,
    readonly detail: ApiErrorDetail,
    readonly headers: Record<string, string> = {},
    readonly status: string = STATUS_OF_CODE[code] ?? 'UNKNOWN',
  ) {
    super(message);
  }

  toJSON(): unknown {
    const { reason, domain = 'global', location, locationType } = this.detail;
    return {
      error: {
        code: this.code,
        message: this.message,
        errors: [{ message: this.message, domain, reason, ...(location ? { location, locationType } : {}) }],
        status: this.status,
      },
    };
  }
}

export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly httpStatus: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

export const notFound = (what = 'Requested entity was not found.') => new ApiError(404, what, { reason: 'notFound' });
export const badRequest = (message: string, reason = 'invalidArgument') => new ApiError(400, message, { reason });

export const invalidCredentials = () =>
  new ApiError(
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: 'authError', location: 'Authorization', locationType: 'header' },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );

export const insufficientScopes = () =>
  new ApiError(403, 'Request had insufficient authentication scopes.', { reason: 'insufficientPermissions' }, {
    'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"',
  });

export const invalidGrant = (description = 'Token has been expired or revoked.') => new OAuthError(400, 'invalid_grant', description);
