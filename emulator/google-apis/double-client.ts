// The typed client tests (and the demo) seed and inspect the Google API double with. Every
// method is one call to /_double/ (seed-routes.ts); nothing here talks to the Google APIs.
import { OAuth2Client } from 'google-auth-library';
import type { FaultRule } from './faults';
import type { GmailLabel } from './gmail-state';
import type { LoggedRequest } from './request-log';

export interface DoubleEndpoints {
  apiRoot: string;
  tokenUrl: string;
  authUrl: string;
  seedUrl: string;
}

export interface MailboxSnapshot {
  emailAddress: string;
  historyId: string;
  historyFloor: string;
  watch: { topicName: string; labelIds: string[]; labelFilterBehavior: string; expiration: number } | null;
  labels: GmailLabel[];
  messages: Array<{ id: string; subject: string; labelIds: string[]; labelNames: string[]; historyId: string; internalDate: string }>;
}

export interface DriveFileSnapshot {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  driveId?: string;
  appProperties?: Record<string, string>;
  size?: string;
  md5Checksum?: string;
  sha256Checksum?: string;
  owners?: Array<{ emailAddress: string }>;
  createdTime: string;
}

export interface RefreshTokenSeed {
  clientId: string;
  user: string;
  /** Full URLs or short names ('gmail.modify', 'drive', 'mail.google.com'). */
  scopes: string[];
  /** Each refresh answers a new refresh_token and retires the old one. */
  rotate?: boolean;
  accessTokenTtlSeconds?: number;
  /** After this instant refreshing answers invalid_grant (the 7-day Testing-app expiry). */
  expiresAt?: Date | number;
}

export class GoogleApiDoubleClient {
  constructor(readonly endpoints: DoubleEndpoints) {}

  private async call<T>(method: string, path: string, body?: unknown, raw?: Buffer): Promise<T> {
    const response = await fetch(this.endpoints.seedUrl + path, {
      method,
      headers: raw ? { 'content-type': 'application/octet-stream' } : body !== undefined ? { 'content-type': 'application/json' } : {},
      body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`google api double: ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  reset(): Promise<void> {
    return this.call('POST', '/reset');
  }

  // ---- OAuth ----

  registerOAuthClient(o: { clientId: string; clientSecret: string; consentUser?: string }): Promise<void> {
    return this.call('POST', '/oauth/clients', o);
  }

  async issueRefreshToken(o: RefreshTokenSeed): Promise<string> {
    const expiresAt = o.expiresAt instanceof Date ? o.expiresAt.getTime() : o.expiresAt;
    return (await this.call<{ refreshToken: string }>('POST', '/oauth/refresh-tokens', { ...o, expiresAt })).refreshToken;
  }

  revokeRefreshToken(refreshToken: string): Promise<void> {
    return this.call('POST', '/oauth/refresh-tokens/revoke', { refreshToken });
  }

  /** The token dies now, as a Testing app's token does after 7 days. */
  expireRefreshToken(refreshToken: string): Promise<void> {
    return this.call('POST', '/oauth/refresh-tokens/expire', { refreshToken });
  }

  async liveRefreshTokens(user?: string): Promise<Array<{ refreshToken: string; clientId: string; user: string; scopes: string[] }>> {
    return (await this.call<{ refreshTokens: Array<{ refreshToken: string; clientId: string; user: string; scopes: string[] }> }>('GET', `/oauth/refresh-tokens${user ? `?user=${encodeURIComponent(user)}` : ''}`)).refreshTokens;
  }

  /** A bearer token straight away, for tests of API behaviour that do not care about refreshing. */
  async issueAccessToken(o: { principal: string; scopes: string[]; serviceAccount?: boolean; ttlSeconds?: number }): Promise<string> {
    return (await this.call<{ accessToken: string }>('POST', '/oauth/access-tokens', o)).accessToken;
  }

  /** Every access token (of this principal) expires now: the next API call answers 401. */
  async expireAccessTokens(principal?: string): Promise<number> {
    return (await this.call<{ expired: number }>('POST', '/oauth/access-tokens/expire', { principal })).expired;
  }

  /** A service account whose JWT assertions (RS256) the token endpoint accepts; delegatedScopes allow `sub`. */
  registerServiceAccount(o: { email: string; publicKeyPem: string; delegatedScopes?: string[] }): Promise<void> {
    return this.call('POST', '/oauth/service-accounts', o);
  }

  /** An OAuth2Client that refreshes against the double, as the Gmail and Drive connectors use it. */
  oauth2Client(o: { clientId: string; clientSecret: string; refreshToken?: string; redirectUri?: string; forceRefreshOnFailure?: boolean }): OAuth2Client {
    const client = new OAuth2Client({
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      redirectUri: o.redirectUri,
      forceRefreshOnFailure: o.forceRefreshOnFailure,
      endpoints: { oauth2TokenUrl: this.endpoints.tokenUrl, oauth2AuthBaseUrl: this.endpoints.authUrl, tokenInfoUrl: new URL('oauth2/v3/tokeninfo', this.endpoints.apiRoot).toString(), oauth2RevokeUrl: new URL('revoke', this.endpoints.apiRoot).toString() },
    });
    if (o.refreshToken) client.setCredentials({ refresh_token: o.refreshToken });
    return client;
  }

  // ---- Gmail ----

  setGmailSettings(settings: { inlineAttachmentMaxBytes?: number; stableAttachmentIds?: boolean }): Promise<void> {
    return this.call('PUT', '/gmail/settings', settings);
  }

  insertMessage(user: string, eml: Buffer | string, o: { labelIds?: string[]; internalDate?: Date | number; inlineAttachmentMaxBytes?: number } = {}): Promise<{ id: string; threadId: string; historyId: string }> {
    const q = new URLSearchParams();
    for (const id of o.labelIds ?? []) q.append('labelIds', id);
    if (o.internalDate !== undefined) q.set('internalDate', String(o.internalDate instanceof Date ? o.internalDate.getTime() : o.internalDate));
    if (o.inlineAttachmentMaxBytes !== undefined) q.set('inlineAttachmentMaxBytes', String(o.inlineAttachmentMaxBytes));
    const query = q.size ? `?${q}` : '';
    return this.call('POST', `/gmail/users/${encodeURIComponent(user)}/messages${query}`, undefined, Buffer.isBuffer(eml) ? eml : Buffer.from(eml));
  }

  createLabel(user: string, name: string): Promise<GmailLabel> {
    return this.call('POST', `/gmail/users/${encodeURIComponent(user)}/labels`, { name });
  }

  mailbox(user: string): Promise<MailboxSnapshot> {
    return this.call('GET', `/gmail/users/${encodeURIComponent(user)}`);
  }

  /** history.list answers 404 for any startHistoryId below `before` (default: the current historyId). */
  async expireHistory(user: string, before?: string | number): Promise<string> {
    return (await this.call<{ historyFloor: string }>('POST', `/gmail/users/${encodeURIComponent(user)}/history/expire`, { before })).historyFloor;
  }

  // ---- Drive ----

  createSharedDrive(name: string, members: Array<{ principal: string; role?: 'reader' | 'writer' | 'fileOrganizer' | 'organizer' }>): Promise<{ id: string; name: string }> {
    return this.call('POST', '/drive/shared-drives', { name, members: members.map((m) => ({ principal: m.principal, role: m.role ?? 'organizer' })) });
  }

  /** A folder in `owner`'s My Drive, or in a shared drive (driveId), under parentId or at the top. */
  createFolder(o: { id?: string; name: string; owner?: string; driveId?: string; parentId?: string }): Promise<DriveFileSnapshot> {
    return this.call('POST', '/drive/folders', o);
  }

  /** A file with content, as if uploaded earlier (e.g. for dedupe by appProperties.sha256). */
  createDriveFile(o: { name: string; content: Buffer | string; owner?: string; driveId?: string; parentId?: string; mimeType?: string; appProperties?: Record<string, string> }): Promise<DriveFileSnapshot> {
    const q = new URLSearchParams({ name: o.name });
    for (const key of ['owner', 'driveId', 'parentId', 'mimeType'] as const) if (o[key]) q.set(key, o[key]!);
    if (o.appProperties) q.set('appProperties', JSON.stringify(o.appProperties));
    return this.call('POST', `/drive/files?${q}`, undefined, Buffer.isBuffer(o.content) ? o.content : Buffer.from(o.content));
  }

  /** Shares a My Drive file or folder (and what is inside it) with someone, e.g. a service account. */
  shareDriveFile(fileId: string, principal: string, role: 'reader' | 'writer' = 'writer'): Promise<void> {
    return this.call('POST', '/drive/shares', { fileId, principal, role });
  }

  /** Every file, all fields, no permission checks. */
  async driveFiles(o: { parentId?: string; driveId?: string } = {}): Promise<DriveFileSnapshot[]> {
    const q = new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return (await this.call<{ files: DriveFileSnapshot[] }>('GET', `/drive/files${q.size ? `?${q}` : ''}`)).files;
  }

  async driveFileContent(fileId: string): Promise<Buffer> {
    const response = await fetch(`${this.endpoints.seedUrl}/drive/files/${encodeURIComponent(fileId)}/content`);
    if (!response.ok) throw new Error(`google api double: content of ${fileId} answered ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  // ---- request log and faults ----

  async requests(since = 0): Promise<LoggedRequest[]> {
    return (await this.call<{ requests: LoggedRequest[] }>('GET', `/requests?since=${since}`)).requests;
  }

  /** Gmail quota units spent by the logged requests (quota-units.ts), optionally for one principal. */
  async quotaUnits(o: { since?: number; principal?: string } = {}): Promise<number> {
    const requests = await this.requests(o.since);
    return requests.filter((r) => o.principal === undefined || r.principal === o.principal.toLowerCase()).reduce((sum, r) => sum + r.quotaUnits, 0);
  }

  clearRequests(): Promise<void> {
    return this.call('DELETE', '/requests');
  }

  async armFault(rule: FaultRule): Promise<number> {
    return (await this.call<{ id: number }>('POST', '/faults', rule)).id;
  }

  async pendingFaults(): Promise<Array<{ id: number; route: string; remaining: number }>> {
    return (await this.call<{ faults: Array<{ id: number; route: string; remaining: number }> }>('GET', '/faults')).faults;
  }

  clearFaults(): Promise<void> {
    return this.call('DELETE', '/faults');
  }
}
