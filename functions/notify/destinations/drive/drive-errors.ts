// Drive API failures → what they mean for a delivery, with the fix in the words a person reads in the
// alert. Read by shape (status, Google's `errors[0].reason`), never by instanceof; the message keeps
// only the status, the reason and Google's own words, never a request (which carries the token).
import { PermanentError, TransientError, isPermanent } from '../../../../shared/errors';
import { redact } from '../../../../shared/redact';

export interface DriveErrorContext {
  // "Drive destination 0 (folder 1AbC…)".
  destination: string;
  // "uploading 20261130/pos.csv", "listing folder 1AbC…".
  doing: string;
  // Printable: how the destination signs in ("service account of the function").
  signedInAs: string;
}

// 403s that are quota pacing, not a refusal (Drive's "Resolve errors" page).
const RATE_LIMITS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'sharingRateLimitExceeded']);
const NETWORK = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR_\w+|ERR_STREAM_PREMATURE_CLOSE)$/;

export interface DriveErrorFacts { status?: number; reason?: string; said?: string; code?: string }

export function driveErrorFacts(error: unknown): DriveErrorFacts {
  if (error === null || typeof error !== 'object') return {};
  const e = error as { status?: unknown; code?: unknown; response?: { status?: unknown; data?: unknown }; errors?: unknown; cause?: { code?: unknown } };
  const status = typeof e.response?.status === 'number' ? e.response.status : typeof e.status === 'number' ? e.status : typeof e.code === 'number' ? e.code : undefined;
  let data = e.response?.data;
  if (typeof data === 'string') {
    try { data = JSON.parse(data); } catch { data = undefined; }
  }
  const body = (data && typeof data === 'object' ? (data as { error?: { message?: unknown; errors?: Array<{ reason?: unknown }> } }).error : undefined);
  const first = Array.isArray(body?.errors) ? body.errors[0] : Array.isArray(e.errors) ? (e.errors[0] as { reason?: unknown }) : undefined;
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return {
    ...(status !== undefined ? { status } : {}),
    ...(typeof first?.reason === 'string' ? { reason: first.reason } : {}),
    ...(typeof body?.message === 'string' ? { said: redact(body.message).slice(0, 300) } : {}),
    ...(code ? { code } : {}),
  };
}

export function classifyDriveError(error: unknown, context: DriveErrorContext): Error {
  // Already decided (ours, the sign-in code's ReauthorizationRequiredError): keep it.
  if (error instanceof Error && (isPermanent(error) || error.name === 'TransientError' || error.name === 'ReauthorizationRequiredError' || error.name === 'GoogleApiRetryableError')) return error;
  const facts = driveErrorFacts(error);
  const where = `${context.destination}: ${context.doing} failed`;
  const detail = `HTTP ${facts.status ?? '?'}${facts.reason ? ` ${facts.reason}` : ''}${facts.said ? `: ${facts.said}` : ''}`;
  const { status, reason } = facts;
  if (reason === 'storageQuotaExceeded') {
    return new PermanentError(`${where} (${detail}). A service account has no My Drive storage of its own, so it cannot own files in a personal My Drive folder. Fix: put the folder in a shared drive and add the service account as a member (Content manager), giving the shared drive's id as driveId; or sign in as a user (auth.kind 'oauth', npm run auth -- <pipeline>), whose own storage is then used`);
  }
  if (status === 404) {
    return new PermanentError(`${where} (${detail}). The folder does not exist or is not shared with ${context.signedInAs}. Fix: check folderId (and driveId for a shared drive), and share the folder (or add to the shared drive) ${context.signedInAs}`);
  }
  if (status === 429 || (status === 403 && reason !== undefined && RATE_LIMITS.has(reason)) || (status !== undefined && status >= 500) || status === 408) {
    return new TransientError(`${where} for now (${detail})`);
  }
  // The client already refreshed its token once: a second 401 is most likely not yet propagated.
  if (status === 401) return new TransientError(`${where} (${detail}): Google did not accept a fresh access token`);
  if (status === 403) {
    return new PermanentError(`${where} (${detail}). ${context.signedInAs} may not write to the folder. Fix: give it the Editor (or shared-drive Content manager) role on the folder`);
  }
  if (status !== undefined && status >= 400) return new PermanentError(`${where} (${detail})`);
  if (facts.code && NETWORK.test(facts.code)) return new TransientError(`${where}: network error ${facts.code}`);
  return new TransientError(`${where}: ${redact(error instanceof Error ? error.message : String(error)).slice(0, 300)}`);
}
