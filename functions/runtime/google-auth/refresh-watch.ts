// The google-auth-library clients, each with one addition: a failed token refresh leaves through
// `onRefreshError` (classify it, remember an invalid_grant) instead of as the raw GaxiosError, which
// quotes the request (its form body holds the refresh token and client secret). Overriding the
// protected refreshTokenNoCache is the one place every refresh passes through: the eager refresh
// before expiry, the refresh after a 401, and getAccessToken.
import { JWT, OAuth2Client, type JWTOptions, type OAuth2ClientOptions } from 'google-auth-library';

export type RefreshErrorHandler = (error: unknown) => Promise<Error>;

export class RefreshWatchedOAuth2Client extends OAuth2Client {
  constructor(options: OAuth2ClientOptions, private readonly onRefreshError: RefreshErrorHandler) {
    super(options);
  }

  protected override async refreshTokenNoCache(refreshToken?: string | null): ReturnType<OAuth2Client['refreshTokenNoCache']> {
    try {
      return await super.refreshTokenNoCache(refreshToken);
    } catch (error) {
      throw await this.onRefreshError(error);
    }
  }
}

export class RefreshWatchedJWT extends JWT {
  constructor(options: JWTOptions, private readonly onRefreshError: RefreshErrorHandler) {
    super(options);
  }

  protected override async refreshTokenNoCache(): ReturnType<JWT['refreshTokenNoCache']> {
    try {
      return await super.refreshTokenNoCache();
    } catch (error) {
      throw await this.onRefreshError(error);
    }
  }
}
