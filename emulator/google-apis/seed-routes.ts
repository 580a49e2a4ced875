// The seeding and inspection API tests drive the double with (double-client.ts is its typed
// client): register OAuth clients and issue tokens, put mail in mailboxes, arm faults, read the
// request log, reset. Under /_double/, never checked for a bearer token; loopback only like the rest.
import type { DoubleContext, Route, RouteRequest } from './context';
import { badRequest, notFound } from './errors';
import { faultRuleSchema } from './faults';
import { seedDriveRoutes } from './seed-drive-routes';
import { readBody, readJson, sendEmpty, sendJson } from './http';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './oauth-state';
import { expandScope } from './scopes';

interface RefreshTokenSeed {
  clientId: string;
  user: string;
  scopes: string[];
  rotate?: boolean;
  accessTokenTtlSeconds?: number;
  /** Epoch ms after which refreshing answers invalid_grant. */
  expiresAt?: number;
}

const done = (r: RouteRequest, body: unknown = { ok: true }) => sendJson(r.res, 200, body);

async function reset(ctx: DoubleContext, r: RouteRequest) {
  await ctx.resetAll();
  done(r);
}

async function registerClient(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ clientId?: string; clientSecret?: string; consentUser?: string }>(r.req);
  if (!body.clientId || !body.clientSecret) throw badRequest('clientId and clientSecret are required');
  ctx.oauth.registerClient({ clientId: body.clientId, clientSecret: body.clientSecret, consentUser: body.consentUser });
  done(r);
}

async function issueRefreshToken(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<RefreshTokenSeed>(r.req);
  if (!ctx.oauth.clients.has(body.clientId)) throw badRequest(`unknown OAuth client ${body.clientId}: register it first`);
  if (!body.user || !Array.isArray(body.scopes) || body.scopes.length === 0) throw badRequest('user and scopes are required');
  const record = ctx.oauth.issueRefreshToken({
    clientId: body.clientId,
    user: body.user.toLowerCase(),
    scopes: body.scopes.map(expandScope),
    rotate: body.rotate ?? false,
    accessTokenTtlSeconds: body.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    expiresAt: body.expiresAt,
  });
  ctx.gmail.mailbox(record.user);
  done(r, { refreshToken: record.token });
}

async function changeRefreshToken(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ refreshToken?: string }>(r.req);
  const record = body.refreshToken ? ctx.oauth.refreshTokens.get(body.refreshToken) : undefined;
  if (!record) throw notFound('unknown refresh token');
  if (r.params[0] === 'revoke') ctx.oauth.revoke(record.token);
  else record.expiresAt = ctx.now();
  done(r);
}

/** The live refresh tokens of a user (after rotation: the newest), for tests that check write-back. */
async function listRefreshTokens(ctx: DoubleContext, r: RouteRequest) {
  const user = (r.query.get('user') ?? '').toLowerCase();
  const live = [...ctx.oauth.refreshTokens.values()].filter((t) => (!user || t.user === user) && !t.revoked).map((t) => ({ refreshToken: t.token, clientId: t.clientId, user: t.user, scopes: t.scopes }));
  done(r, { refreshTokens: live });
}

async function expireAccessTokens(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ principal?: string }>(r.req);
  done(r, { expired: ctx.oauth.expireAccessTokens(body.principal?.toLowerCase()) });
}

async function issueAccessToken(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ principal?: string; scopes?: string[]; serviceAccount?: boolean; ttlSeconds?: number }>(r.req);
  if (!body.principal || !body.scopes?.length) throw badRequest('principal and scopes are required');
  const ttl = body.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const access = ctx.oauth.issueAccessToken({ principal: body.principal.toLowerCase(), serviceAccount: body.serviceAccount ?? false, scopes: new Set(body.scopes.map(expandScope)), clientId: 'seed' }, ttl, ctx.now());
  done(r, { accessToken: access.token, expiresIn: ttl });
}

async function registerServiceAccount(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ email?: string; publicKeyPem?: string; delegatedScopes?: string[] }>(r.req);
  if (!body.email || !body.publicKeyPem) throw badRequest('email and publicKeyPem are required');
  ctx.oauth.serviceAccounts.set(body.email, { email: body.email, publicKeyPem: body.publicKeyPem, delegatedScopes: (body.delegatedScopes ?? []).map(expandScope) });
  done(r);
}

async function gmailSettings(ctx: DoubleContext, r: RouteRequest) {
  if (r.req.method === 'PUT') Object.assign(ctx.gmail.settings, await readJson(r.req));
  done(r, ctx.gmail.settings);
}

async function insertMessage(ctx: DoubleContext, r: RouteRequest) {
  const raw = await readBody(r.req);
  if (raw.length === 0) throw badRequest('the request body must be the message (.eml bytes)');
  const labelIds = r.query.getAll('labelIds');
  const internalDate = r.query.get('internalDate');
  const inline = r.query.get('inlineAttachmentMaxBytes');
  const message = await ctx.gmail.insert(
    r.params[0] ?? '',
    raw,
    { labelIds: labelIds.length ? labelIds : undefined, internalDate: internalDate ? Number(internalDate) : undefined, inlineAttachmentMaxBytes: inline ? Number(inline) : undefined },
    ctx.now(),
  );
  done(r, { id: message.id, threadId: message.threadId, historyId: String(message.historyId) });
}

async function createLabel(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ name?: string }>(r.req);
  done(r, ctx.gmail.mailbox(r.params[0] ?? '').createLabel({ name: body.name ?? '' }));
}

async function listMailbox(ctx: DoubleContext, r: RouteRequest) {
  const box = ctx.gmail.mailbox(r.params[0] ?? '');
  const nameOf = (id: string) => box.labels.get(id)?.name ?? id;
  done(r, {
    emailAddress: box.email,
    historyId: String(box.historyId),
    historyFloor: String(box.historyFloor),
    watch: box.watch ?? null,
    labels: [...box.labels.values()],
    messages: box.sorted().map((m) => ({
      id: m.id,
      subject: m.searchable.subject,
      labelIds: [...m.labelIds],
      labelNames: [...m.labelIds].map(nameOf),
      historyId: String(m.historyId),
      internalDate: String(m.internalDate),
    })),
  });
}

async function expireHistory(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ before?: string | number }>(r.req);
  const box = ctx.gmail.mailbox(r.params[0] ?? '');
  box.historyFloor = body.before !== undefined ? Number(body.before) : box.historyId;
  done(r, { historyFloor: String(box.historyFloor) });
}

async function requests(ctx: DoubleContext, r: RouteRequest) {
  if (r.req.method === 'DELETE') {
    ctx.log.clear();
    sendEmpty(r.res, 204);
    return;
  }
  done(r, { requests: ctx.log.since(Number(r.query.get('since') ?? 0)), lastSeq: ctx.log.lastSeq() });
}

async function faults(ctx: DoubleContext, r: RouteRequest) {
  if (r.req.method === 'DELETE') {
    ctx.faults.clear();
    sendEmpty(r.res, 204);
  } else if (r.req.method === 'POST') {
    const parsed = faultRuleSchema.safeParse(await readJson(r.req));
    if (!parsed.success) throw badRequest(`invalid fault rule: ${parsed.error.message}`);
    done(r, { id: ctx.faults.arm(parsed.data) });
  } else {
    done(r, { faults: ctx.faults.pending() });
  }
}

const S = '^\\/_double';
const p = (rest: string) => new RegExp(S + rest + '$');
const U = '\\/gmail\\/users\\/([^/]+)';
export const seedRoutes: Route[] = [
  ...seedDriveRoutes,
  { method: 'POST', pattern: p('\\/reset'), operation: 'double.reset', handle: reset },
  { method: 'POST', pattern: p('\\/oauth\\/clients'), operation: 'double.seed', handle: registerClient },
  { method: 'POST', pattern: p('\\/oauth\\/refresh-tokens'), operation: 'double.seed', handle: issueRefreshToken },
  { method: 'GET', pattern: p('\\/oauth\\/refresh-tokens'), operation: 'double.inspect', handle: listRefreshTokens },
  { method: 'POST', pattern: p('\\/oauth\\/refresh-tokens\\/(revoke|expire)'), operation: 'double.seed', handle: changeRefreshToken },
  { method: 'POST', pattern: p('\\/oauth\\/access-tokens'), operation: 'double.seed', handle: issueAccessToken },
  { method: 'POST', pattern: p('\\/oauth\\/access-tokens\\/expire'), operation: 'double.seed', handle: expireAccessTokens },
  { method: 'POST', pattern: p('\\/oauth\\/service-accounts'), operation: 'double.seed', handle: registerServiceAccount },
  { method: 'GET', pattern: p('\\/gmail\\/settings'), operation: 'double.inspect', handle: gmailSettings },
  { method: 'PUT', pattern: p('\\/gmail\\/settings'), operation: 'double.seed', handle: gmailSettings },
  { method: 'POST', pattern: p(U + '\\/messages'), operation: 'double.seed', handle: insertMessage },
  { method: 'POST', pattern: p(U + '\\/labels'), operation: 'double.seed', handle: createLabel },
  { method: 'GET', pattern: p(U), operation: 'double.inspect', handle: listMailbox },
  { method: 'POST', pattern: p(U + '\\/history\\/expire'), operation: 'double.seed', handle: expireHistory },
  { method: 'GET', pattern: p('\\/requests'), operation: 'double.inspect', handle: requests },
  { method: 'DELETE', pattern: p('\\/requests'), operation: 'double.inspect', handle: requests },
  { method: 'GET', pattern: p('\\/faults'), operation: 'double.inspect', handle: faults },
  { method: 'POST', pattern: p('\\/faults'), operation: 'double.seed', handle: faults },
  { method: 'DELETE', pattern: p('\\/faults'), operation: 'double.seed', handle: faults },
];
