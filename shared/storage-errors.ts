// HTTP status of a Cloud Storage client error (ApiError.code, or a stream error's `code`), so callers
// can tell "not there" (404), "precondition failed" (412) and server trouble (5xx) apart.
export function storageStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
  return undefined;
}

export const isNotFound = (error: unknown): boolean => storageStatus(error) === 404;
export const isPreconditionFailed = (error: unknown): boolean => storageStatus(error) === 412;
export const isForbidden = (error: unknown): boolean => storageStatus(error) === 403;
