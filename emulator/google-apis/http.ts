// Small HTTP helpers shared by every route: JSON answers, error answers, bounded body reads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, OAuthError, badRequest } from './errors';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

export function sendError(res: ServerResponse, error: ApiError | OAuthError): void {
  if (error instanceof OAuthError) {
    sendJson(res, error.httpStatus, { error: error.error, error_description: error.description });
  } else {
    sendJson(res, error.code, error.toJSON(), error.headers);
  }
}

const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

/** The whole request body; for metadata and seeded mail, never for Drive media (streamed). */
export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, `Request body larger than ${limit} bytes.`, { reason: 'uploadTooLarge' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJson<T = Record<string, unknown>>(req: IncomingMessage): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw badRequest('Invalid JSON payload received.', 'parseError');
  }
}

/** application/x-www-form-urlencoded (the token endpoint) or JSON, as plain string fields. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const body = (await readBody(req, 1024 * 1024)).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
  }
  return new URLSearchParams(body);
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

export function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw badRequest(`Invalid value for ${name}: ${raw}`);
  return Math.min(value, max);
}

export function b64url(data: Buffer): string {
  return data.toString('base64url');
}
