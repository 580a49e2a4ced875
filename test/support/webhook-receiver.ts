// A chat webhook on loopback (what a Slack incoming webhook is to Sluice): records every POST it gets,
// and answers each path with what the test scripted (a status and body per request, in order), else
// 200 "ok" as Slack does. Started and stopped by the test; a free port.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  contentType: string | undefined;
  body: unknown;
  // What this request was answered with.
  status: number;
}

export interface WebhookReceiver {
  // The URL of a path on the receiver (each test its own: `/hooks/<name>`).
  url(path: string): string;
  // The next requests to `path` are answered with these, in order; then 200 "ok" again.
  script(path: string, answers: Array<{ status: number; body?: string }>): void;
  posts(path?: string): ReceivedPost[];
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedPost[] = [];
  const scripts = new Map<string, Array<{ status: number; body?: string }>>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '/';
      const answer = scripts.get(path)?.shift() ?? { status: 200, body: 'ok' };
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* kept as text */ }
      if (req.method === 'POST') received.push({ path, contentType: req.headers['content-type'], body, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    script(path, answers) { scripts.set(path, [...(scripts.get(path) ?? []), ...answers]); },
    posts: (path) => received.filter((p) => path === undefined || p.path === path),
    stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
