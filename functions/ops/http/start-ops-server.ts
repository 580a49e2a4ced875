// The ops API on a plain node server on loopback: what the local cloud (`npm start`), the CLI's and
// the dashboard's tests run. `startOpsServer({ service, auth })` → `{ url, port, stop() }`; port 0
// picks a free one. stop() ends open event streams too (it closes every connection).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../shared/logger';
import type { OpsService } from '../ops-service';
import { createOpsApp } from './create-ops-app';
import type { OpsAuth } from './ops-auth';

export interface StartOpsServerOptions {
  service: OpsService;
  auth: OpsAuth;
  // Default 0: a free port.
  port?: number;
  // Default 127.0.0.1. The local cloud serves loopback only.
  host?: string;
  dashboard?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  logger?: Logger;
  heartbeatMs?: number;
}

export interface OpsServer {
  // http://127.0.0.1:<port> (no trailing slash).
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startOpsServer(options: StartOpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? '127.0.0.1';
  const origin = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let publicUrl: string | undefined;
  const app = createOpsApp({
    service: options.service,
    auth: options.auth,
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    get publicUrl() {
      return publicUrl;
    },
  });
  const server = createServer((req, res) => void app(req, res));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  publicUrl = origin(port);
  let stopping: Promise<void> | undefined;
  return {
    url: publicUrl,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
