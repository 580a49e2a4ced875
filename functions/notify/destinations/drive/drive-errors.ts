// Drive API failures → what they mean for a delivery, with the fix in the words a person reads in the
// alert. Read by shape (status, Google's `errors[0].reason`), never by instanceof; the message keeps
// only the status, the reason and Google's own words, never a request (which carries the token).
import { PermanentError } from '../../../../shared/errors';
import { redact } from '../../../../shared/redact';
import { classifyGoogleError } from '../../../runtime/google-auth/google-api-errors';

export interface DriveErrorContext {
  // "Drive destination 0 (folder 1AbC…)".
  destination: string;
  // "uploading 20261130/pos.csv", "listing folder 1AbC…".
  doing: string;
  // Printable: how the destination signs in ("service account of the function").
  signedInAs: string;
  pipeline: string;
  // The OAuth refresh-token secret, when signing in as a user: an invalid_grant names it.
  refreshTokenSecret?: string;
}

// 403s that refuse this identity the folder (Drive's "Resolve errors" page); rate-limit 403s are not.
const PERMISSION_REASONS = new Set(['insufficientFilePermissions', 'forbidden', 'insufficientPermissions']);

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

// Drive's own refusals, with their fix; everything else (rate limits, 5xx, invalid_grant, network)
// is the one Google classifier's (google-api-errors.ts).
export function classifyDriveError(error: unknown, context: DriveErrorContext): Error {
  if (error instanceof Error && ['PermanentError', 'TransientError', 'ReauthorizationRequiredError', 'GoogleApiRetryableError'].includes(error.name)) return error;
  const facts = driveErrorFacts(error);
  const where = `${context.destination}: ${context.doing} failed`;
  const detail = `HTTP ${facts.status ?? '?'}${facts.reason ? ` ${facts.reason}` : ''}${facts.said ? `: ${facts.said}` : ''}`;
  const { status, reason } = facts;
  if (reason === 'storageQuotaExceeded') {
    return new PermanentError(`${where} (${detail}). A service account has no My Drive storage of its own, so it cannot own files in a personal My Drive folder. Fix: put the folder in a shared drive and add the service account as a member (Content manager), giving the shared drive's id as driveId; or sign in as a user (auth.kind 'oauth', npm run auth -- ${context.pipeline}), whose own storage is then used`);
  }
  if (status === 404) {
    return new PermanentError(`${where} (${detail}). The folder does not exist or is not shared with ${context.signedInAs}. Fix: check folderId (and driveId for a shared drive), and share the folder (or add to the shared drive) ${context.signedInAs}`);
  }
  if (status === 403 && reason !== undefined && PERMISSION_REASONS.has(reason)) {
    return new PermanentError(`${where} (${detail}). ${context.signedInAs} may not write to the folder. Fix: give it the Editor role on the folder (Content manager in a shared drive)`);
  }
  return classifyGoogleError(error, {
    pipeline: context.pipeline,
    doing: `${context.destination}: ${context.doing}`,
    ...(context.refreshTokenSecret ? { refreshTokenSecret: context.refreshTokenSecret } : {}),
  });
}
