// Serves stage functions the way Cloud Functions gen2 does: each one registered with the
// Functions Framework (as an HTTP function answering Pub/Sub push requests, the same wrapper the
// deployed entry uses: functions/runtime/serve-push.ts) and served by the framework's own Express
// server (getTestServer, its supported in-process entry point), on its own free port. A handler
// that throws makes the function answer 500, and the local push dispatcher (emulator/pubsub-push/)
// redelivers with the subscription's backoff.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { servePush } from '../functions/runtime/serve-push';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';

/** The body of a Pub/Sub push request. */
export interface PubsubMessageData {
  message: {
    '@type'?: string;
    /** base64 */
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    publishTime: string;
  };
  subscription?: string;
  deliveryAttempt?: number;
}

/** What a hosted handler gets: the push body as `data`, with the message id and the messagePublished type. */
export interface PushEvent {
  id?: string;
  type: string;
  data?: PubsubMessageData;
}

export interface HostedFunction {
  name: string;
  handler: (event: PushEvent) => Promise<void>;
}

export type DeliverTwiceMode = false | 'sequential' | 'concurrent';

export interface FunctionHost {
  /** Base URL of the function's server (http://127.0.0.1:PORT). */
  urlOf(name: string): string;
  stop(): Promise<void>;
  setDeliverTwice(mode: DeliverTwiceMode): void;
}

export interface FunctionHostOptions {
  deliverTwice?: DeliverTwiceMode;
  host?: string;
  logger?: Logger;
}

/**
 * The push endpoint for a subscription on `topic`, with the topic in the path
 * (projects/P/topics/T) as the Pulumi program configures it in the cloud.
 */
export function pushEndpointFor(functionUrl: string, projectId: string, topic: string): string {
  return `${functionUrl}/projects/${encodeURIComponent(projectId)}/topics/${encodeURIComponent(topic)}`;
}

// How long stop() waits for handlers still running.
const DRAIN_MS = 15_000;

// The framework's registry is one global map keyed by name: a unique internal name per host
// and function lets several hosts (tests, restarts) serve functions with the same name.
let registrations = 0;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections(); // the push dispatcher keeps its connections alive
  });
}

/**
 * A redelivery runs the handler again with the same event (same message id). Both runs
 * must succeed for a 2xx answer; any failure becomes a 500, so Pub/Sub redelivers it as usual.
 * Each run gets its own copy of the event so one run cannot alter what the other sees.
 */
async function runTwice(handler: HostedFunction['handler'], event: PushEvent, mode: 'sequential' | 'concurrent'): Promise<void> {
  const runs: Array<PromiseSettledResult<void>> = [];
  if (mode === 'concurrent') {
    runs.push(...(await Promise.allSettled([handler(structuredClone(event)), handler(structuredClone(event))])));
  } else {
    runs.push(...(await Promise.allSettled([handler(structuredClone(event))])));
    runs.push(...(await Promise.allSettled([handler(structuredClone(event))])));
  }
  const failed = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function startFunctionHost(fns: HostedFunction[], opts: FunctionHostOptions = {}): Promise<FunctionHost> {
  const logger = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  let deliverTwice: DeliverTwiceMode = opts.deliverTwice ?? false;
  const urls = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  const servers: Server[] = [];

  try {
    for (const fn of fns) {
      if (urls.has(fn.name)) throw new Error(`function "${fn.name}" is declared twice`);
      const registeredName = `sluice-fn-${++registrations}`;
      functions.http(registeredName, servePush((event) => {
        const pushEvent = event as PushEvent;
        const mode = deliverTwice; // read per request: tests switch it while the host runs
        const running = mode ? runTwice(fn.handler, pushEvent, mode) : fn.handler(pushEvent);
        inFlight.add(running);
        const forget = () => inFlight.delete(running);
        running.then(forget, forget);
        return running;
      }));
      const server = getTestServer(registeredName);
      servers.push(server);
      const port = await listen(server, host);
      urls.set(fn.name, `http://${host}:${port}`);
      logger.info('function served', { function: fn.name, url: `http://${host}:${port}` });
    }
  } catch (error) {
    await Promise.all(servers.map(close));
    throw error;
  }

  return {
    urlOf(name) {
      const url = urls.get(name);
      if (!url) throw new Error(`no function named "${name}" in this host (have: ${[...urls.keys()].join(', ') || 'none'})`);
      return url;
    },
    setDeliverTwice(mode) {
      deliverTwice = mode;
    },
    async stop() {
      await Promise.all(servers.map(close));
      // Handlers still running when the push that started them was cut (the dispatcher stops first) would
      // otherwise fail against clients the deployment closes next; let them finish, within a bound.
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
    },
  };
}
