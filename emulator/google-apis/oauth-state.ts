// Who may get tokens, and the tokens handed out: OAuth clients, refresh tokens (with the ways they
// die at Google: revoked, expired, rotated), service accounts' public keys, authorization codes,
// and the access tokens every API call is checked against.
import crypto from 'node:crypto';
import { invalidGrant, OAuthError } from './errors';

export interface OAuthClientRecord {
  clientId: string;
  clientSecret: string;
  /** Who "consents" in the installed-app flow when the URL has no login_hint. */
  consentUser?: string;
}

export interface RefreshTokenRecord {
  token: string;
  clientId: string;
  user: string;
  scopes: string[];
  /** Each refresh answers a new refresh token and retires this one (Google may rotate). */
  rotate: boolean;
  accessTokenTtlSeconds: number;
  /** Epoch ms after which the token is dead (the 7-day "Testing" app expiry); undefined: never. */
  expiresAt?: number;
  revoked: boolean;
}

export interface ServiceAccountRecord {
  email: string;
  publicKeyPem: string;
  /** Domain-wide delegation granted for these scopes (empty: none may be impersonated). */
  delegatedScopes: string[];
}

export interface AccessTokenRecord {
  token: string;
  /** The mailbox / Drive identity the token acts as (a user, or the service account itself). */
  principal: string;
  serviceAccount: boolean;
  scopes: Set<string>;
  clientId: string;
  expiresAt: number;
  refreshToken?: string;
  revoked: boolean;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  user: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
}

const token = (prefix: string) => prefix + crypto.randomBytes(24).toString('base64url');
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3599;

export class OAuthState {
  readonly clients = new Map<string, OAuthClientRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly serviceAccounts = new Map<string, ServiceAccountRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly codes = new Map<string, AuthorizationCode>();

  registerClient(client: OAuthClientRecord): void {
    this.clients.set(client.clientId, client);
  }

  /** invalid_client (401) unless the id is known and the secret matches. */
  authenticateClient(clientId: string | null, clientSecret: string | null): OAuthClientRecord {
    const client = clientId ? this.clients.get(clientId) : undefined;
    if (!client) throw new OAuthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (client.clientSecret !== clientSecret) throw new OAuthError(401, 'invalid_client', 'Unauthorized');
    return client;
  }

  issueRefreshToken(o: Omit<RefreshTokenRecord, 'token' | 'revoked'>): RefreshTokenRecord {
    const record: RefreshTokenRecord = { ...o, token: token('1//local-'), revoked: false };
    this.refreshTokens.set(record.token, record);
    return record;
  }

  /** A live refresh token of this client, or invalid_grant as Google answers it. */
  liveRefreshToken(value: string | null, clientId: string, now: number): RefreshTokenRecord {
    const record = value ? this.refreshTokens.get(value) : undefined;
    if (!record || record.clientId !== clientId) throw invalidGrant('Bad Request');
    if (record.revoked || (record.expiresAt !== undefined && now >= record.expiresAt)) throw invalidGrant();
    return record;
  }

  issueAccessToken(o: Omit<AccessTokenRecord, 'token' | 'revoked' | 'expiresAt'>, ttlSeconds: number, now: number): AccessTokenRecord {
    const record: AccessTokenRecord = { ...o, token: token('ya29.local-'), revoked: false, expiresAt: now + ttlSeconds * 1000 };
    this.accessTokens.set(record.token, record);
    return record;
  }

  liveAccessToken(value: string | undefined, now: number): AccessTokenRecord | undefined {
    const record = value ? this.accessTokens.get(value) : undefined;
    if (!record || record.revoked || now >= record.expiresAt) return undefined;
    return record;
  }

  /** Revokes a refresh token (and every access token minted from it) or one access token. */
  revoke(value: string): boolean {
    const refresh = this.refreshTokens.get(value);
    if (refresh) {
      refresh.revoked = true;
      for (const access of this.accessTokens.values()) if (access.refreshToken === value) access.revoked = true;
      return true;
    }
    const access = this.accessTokens.get(value);
    if (access) access.revoked = true;
    return access !== undefined;
  }

  /** Every access token of this principal expires now: the next API call answers 401. */
  expireAccessTokens(principal?: string): number {
    let count = 0;
    for (const access of this.accessTokens.values()) {
      if (principal === undefined || access.principal === principal) {
        access.expiresAt = 0;
        count += 1;
      }
    }
    return count;
  }

  issueCode(o: Omit<AuthorizationCode, 'code'>): AuthorizationCode {
    const record: AuthorizationCode = { ...o, code: token('4/local-') };
    this.codes.set(record.code, record);
    return record;
  }

  /** Codes are single-use, as at Google: a second exchange is invalid_grant. */
  takeCode(value: string | null, now: number): AuthorizationCode {
    const record = value ? this.codes.get(value) : undefined;
    if (!record) throw invalidGrant('Malformed auth code.');
    this.codes.delete(record.code);
    if (now >= record.expiresAt) throw invalidGrant('Bad Request');
    return record;
  }

  clear(): void {
    this.clients.clear();
    this.refreshTokens.clear();
    this.serviceAccounts.clear();
    this.accessTokens.clear();
    this.codes.clear();
  }
}
