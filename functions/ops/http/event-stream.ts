// A server-sent events answer (text/event-stream): `event: <name>` lines with JSON data, a comment
// line as a heartbeat every so often (proxies and load balancers close a silent stream; the
// browser's EventSource reconnects on its own), and one close callback when the client goes.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const HEARTBEAT_MS = 15_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  // Runs once, when the client disconnects or the server ends the stream.
  onClose(listener: () => void): void;
  close(): void;
}

export function openEventStream(req: IncomingMessage, res: ServerResponse, options: { heartbeatMs?: number } = {}): EventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Nginx-style proxies would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  // Tells EventSource how long to wait before reconnecting after a drop.
  res.write('retry: 2000\n\n');
  const listeners: Array<() => void> = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners.splice(0)) listener();
  };
  req.once('close', finish);
  res.once('close', finish);
  // A client that left while the route was still authenticating or reading has already closed: its
  // 'close' came before these listeners, so without this check its watch would never be released.
  if (req.destroyed || res.destroyed || res.writableEnded) finish();
  return {
    send(event, data) {
      if (closed) return;
      // JSON.stringify never emits a raw newline, so one data line carries it.
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
    close() {
      finish();
      res.end();
    },
  };
}
