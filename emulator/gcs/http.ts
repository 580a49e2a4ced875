import type { IncomingMessage, ServerResponse } from 'node:http';
import { gcsErrors, GcsError } from './errors';
import { applyFieldMask, fieldMaskOf } from './field-mask';

// Small helpers around node:http for JSON API answers.

export function baseUrlOf(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host ? `http://${host}` : fallback;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const mask = status < 300 ? fieldMaskOf(res) : undefined;
  const text = JSON.stringify(mask ? applyFieldMask(body, mask) : body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: GcsError): void {
  sendJson(res, err.status, err.body());
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

const MAX_JSON = 16 * 1024 * 1024;

/** Reads a (small) JSON request body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON) throw gcsErrors.invalid('Request body too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw gcsErrors.parseError();
  }
}

/** Discards a request body we do not need (so keep-alive connections stay usable). */
export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req as AsyncIterable<Buffer>) void _;
}
