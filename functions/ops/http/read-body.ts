// A request's JSON body. Under the functions framework express has already read it (req.rawBody
// holds the bytes, req.body what some parser made of them — a form too); on a plain node server it
// is read here, up to a limit. Either way the bytes are parsed here, as JSON only: a form post (what
// another site's page can send without asking) is refused. An empty body is `{}`: the controls
// whose every field has a default (cancel, rerun) may be posted without one.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './api-error';

export const MAX_BODY_BYTES = 1024 * 1024;

type FrameworkRequest = IncomingMessage & { body?: unknown; rawBody?: Buffer };

async function bodyText(req: FrameworkRequest): Promise<string | undefined> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody.toString('utf8');
  if (Buffer.isBuffer(req.body) || typeof req.body === 'string') return req.body.toString();
  // Parsed by a framework that kept no bytes: only JSON is taken as it is.
  if (req.body !== undefined) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError('invalid-request', `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isJson = (type: string | undefined) => type === undefined || /^application\/(.+\+)?json\s*(;|$)/i.test(type);

export async function readJsonBody(req: FrameworkRequest): Promise<unknown> {
  const type = req.headers['content-type'];
  const text = await bodyText(req);
  if (text === undefined) {
    if (!isJson(type)) throw new HttpError('invalid-request', 'the request body must be JSON (content-type: application/json)');
    return req.body ?? {};
  }
  if (text.length > MAX_BODY_BYTES) throw new HttpError('invalid-request', `the request body is over ${MAX_BODY_BYTES} bytes`);
  if (text.trim() === '') return {};
  if (!isJson(type)) throw new HttpError('invalid-request', 'the request body must be JSON (content-type: application/json)');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('invalid-request', 'the request body is not valid JSON');
  }
}
