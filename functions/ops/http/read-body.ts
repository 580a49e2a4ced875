// A request's JSON body. Under the functions framework express has already parsed it (req.body);
// on a plain node server it is read here, up to a limit. An empty body is `{}`: the controls whose
// every field has a default (cancel, rerun) may be posted without one.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './api-error';

export const MAX_BODY_BYTES = 1024 * 1024;

export async function readJsonBody(req: IncomingMessage & { body?: unknown; rawBody?: Buffer }): Promise<unknown> {
  if (req.body !== undefined && !(Buffer.isBuffer(req.body) || typeof req.body === 'string')) {
    // express's json parser gives {} for an empty body too.
    return req.body;
  }
  let text: string;
  if (Buffer.isBuffer(req.body) || typeof req.body === 'string') {
    text = req.body.toString();
  } else if (req.rawBody) {
    text = req.rawBody.toString('utf8');
  } else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpError('invalid-request', `the request body is over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  }
  if (text.trim() === '') return {};
  const type = req.headers['content-type'] ?? 'application/json';
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new HttpError('invalid-request', 'the request body must be JSON (content-type: application/json)');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('invalid-request', 'the request body is not valid JSON');
  }
}
