// Every non-2xx answer of the ops API: `{ error: { code, message, issues? } }` with the status its
// code maps to (api-schemas.ts errorStatus). What a caller may read: an HttpError's or OpsError's
// message, zod's issues for a request it sent. Anything else is a bug or an outage: logged (the
// logger redacts), and answered as 'internal' with a fixed message — never a stack, never the text
// of an error a dependency built (it may quote a connection string or a token).
import type { ServerResponse } from 'node:http';
import type { ZodError } from 'zod';
import { errorStatus, type ErrorBody, type ErrorCode } from '../api-schemas';
import type { Redactor } from '../../../shared/redact';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Array<{ path: string; message: string }>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function invalidRequest(what: string, error: ZodError): HttpError {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
  return new HttpError('invalid-request', `${what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

// The answer for whatever a handler threw. Matched on `name` too: an OpsError from another copy of
// the module (a bundle, a test double) is still an OpsError.
export function errorAnswer(error: unknown, redactor: Redactor): { status: number; body: ErrorBody; headers: Record<string, string>; internal: boolean } {
  const named = error as { name?: unknown; code?: unknown; message?: unknown; issues?: unknown; headers?: unknown } | null;
  const code = typeof named?.code === 'string' && named.code in errorStatus ? (named.code as ErrorCode) : undefined;
  if (named && (named.name === 'HttpError' || named.name === 'OpsError') && code) {
    const issues = Array.isArray(named.issues) ? (named.issues as Array<{ path: string; message: string }>) : undefined;
    return {
      status: errorStatus[code],
      body: {
        error: {
          code,
          message: redactor.redact(String(named.message ?? code)),
          ...(issues ? { issues: issues.map((i) => ({ path: i.path, message: redactor.redact(i.message) })) } : {}),
        },
      },
      headers: (named.headers as Record<string, string> | undefined) ?? {},
      internal: false,
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'The ops API failed to answer; the error is in its log.' } }, headers: {}, internal: true };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}
