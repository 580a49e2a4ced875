// The faults a chaos trial injects, each armed before a trial's runs and disarmed after. A fault acts
// on what it watches (Firestore run records) rather than on timers, so it strikes at the moment it
// names ("mid-load", "during notify") whatever the machine's speed. Seeded: the same seed picks the
// same files and moments.
import fs from 'node:fs';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import type { FileRecord } from '../../functions/runtime/run-record';
import type { SftpFaults } from '../sftp-server';
import { sigkillFault } from './fault-sigkill';
import type { ChaosWorld, ChaosWorldOptions } from './world';

export interface FaultControls {
  random: () => number;
  setSftpFaults(faults: SftpFaults | undefined): void;
  // How long an outage lasts (the 30 s / 60 s in `npm run chaos`; shorter inside `npm test`).
  outageMs: { load: number; notify: number };
  log(line: string): void;
}

export interface ArmedFault {
  // Whether the fault struck at all (a trial whose fault never fired proves nothing).
  fired(): boolean;
  disarm(): Promise<void>;
}

export interface Fault {
  name: string;
  description: string;
  // What the trial must end like: the clean run's tables, roll-ups and mails (default), or — for a
  // fault that outlasts every retry — the struck run failed with exactly one alert.
  expect?: 'clean' | 'failed-with-one-alert';
  // Deployment options the fault needs (push faults, handlers wrapped to act inside a function).
  deploy?(random: () => number): Pick<ChaosWorldOptions, 'deploy' | 'wrapHandlers'>;
  arm(world: ChaosWorld, controls: FaultControls): Promise<ArmedFault>;
}

// Calls `strike` once, the first time `test` holds for any file record of the world's runs.
function onFirstFile(firestore: Firestore, test: (file: FileRecord) => boolean, strike: () => void): () => void {
  let done = false;
  return createFirestoreRunStore(firestore).watchAllFiles((files) => {
    if (done) return;
    if (files.some(test)) {
      done = true;
      strike();
    }
  }, () => undefined);
}

// The most runs a trial starts, and then some: the live view of them is one page.
const TRIAL_RUNS = 500;

function outage(world: ChaosWorld, ms: number, controls: FaultControls, what: string) {
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    strike() {
      fired = true;
      controls.log(`${what}: database down for ${ms} ms`);
      world.proxy.down();
      timer = setTimeout(() => world.proxy.up(), ms);
    },
    fired: () => fired,
    stop() {
      if (timer) clearTimeout(timer);
      world.proxy.up();
    },
  };
}

export const databaseOutageDuringLoad: Fault = {
  name: 'database down mid-load',
  description: 'PostgreSQL unreachable from the first load attempt on, for the load outage',
  async arm(world, controls) {
    const o = outage(world, controls.outageMs.load, controls, 'mid-load');
    const unsubscribe = onFirstFile(world.clients.firestore, (f) => Boolean(f.stages?.load?.startedAt), o.strike);
    return { fired: o.fired, async disarm() { unsubscribe(); o.stop(); } };
  },
};

export const databaseOutageDuringNotify: Fault = {
  name: 'database down during notify',
  description: 'PostgreSQL unreachable from the moment the first run completes (report queries), for the notify outage',
  async arm(world, controls) {
    const o = outage(world, controls.outageMs.notify, controls, 'during notify');
    let done = false;
    const unsubscribe = createFirestoreRunStore(world.clients.firestore).watchRuns({ limit: TRIAL_RUNS }, (runs) => {
      if (done || !runs.some((run) => run.completedAt)) return;
      done = true;
      o.strike();
    }, () => undefined);
    return { fired: o.fired, async disarm() { unsubscribe(); o.stop(); } };
  },
};

export const sftpDropMidFile: Fault = {
  name: 'SFTP connection dropped mid-file',
  description: 'the SFTP server cuts the connection halfway through one seeded file, once',
  async arm(world, controls) {
    const files = ['OrderDetails.csv', 'ItemSelectionDetails.csv', 'PaymentDetails.csv'];
    const target = files[Math.floor(controls.random() * files.length)]!;
    // The client's path: /exports/<this world's export id>/<yyyyMMdd>/<file>.
    const prefix = `/exports/${path.basename(world.exportRoot)}/`;
    let fired = false;
    controls.setSftpFaults({
      // Halfway through the file: the client has part of it when the connection goes.
      cutAfterBytes: (p) => (!fired && p.startsWith(prefix) && p.endsWith(`/${target}`)
        ? Math.floor(fs.statSync(path.join(world.exportRoot, p.slice(prefix.length))).size / 2)
        : undefined),
      onCut: (p) => {
        fired = true;
        controls.log(`sftp: cut ${p}`);
      },
    });
    return { fired: () => fired, async disarm() { controls.setSftpFaults(undefined); } };
  },
};

export const duplicateDelivery: Fault = {
  name: 'messages delivered 2-3x at once, acks lost',
  description: 'every push is sent 2–3 times concurrently and 30% of successful answers are treated as lost (redelivered later)',
  deploy: (random) => ({ deploy: { pushFaults: { seed: String(Math.floor(random() * 2 ** 31)), copies: { min: 2, max: 3 }, lostAckProbability: 0.3 } } }),
  async arm() {
    return { fired: () => true, async disarm() {} };
  },
};

// Deletes the staged CSV a load delivery is about to read, once, for a seeded file: the staged data
// vanished (a lifecycle rule, an operator) between transform and load.
export const stagedDataDeleted: Fault = {
  name: 'staged data deleted before load',
  description: "the first load delivery of one seeded file finds its staged CSV deleted",
  deploy(random) {
    const target = ['OrderDetails.csv', 'ItemSelectionDetails.csv', 'PaymentDetails.csv'][Math.floor(random() * 3)]!;
    let struck = false;
    return {
      wrapHandlers: (handlers) => ({
        ...handlers,
        async load(ctx, message) {
          const staged = JSON.parse(message.data.toString('utf8')) as { staged?: { bucket: string; object: string }; raw?: { object: string } };
          if (!struck && staged.staged && staged.raw?.object.endsWith(`/${target}`)) {
            struck = true;
            stagedDeletions.add(ctx.pipeline.name);
            await ctx.storage.bucket(staged.staged.bucket).file(staged.staged.object).delete({ ignoreNotFound: true });
          }
          return handlers.load(ctx, message);
        },
      }),
    };
  },
  async arm(world) {
    return { fired: () => stagedDeletions.has(world.pipeline.name), async disarm() {} };
  },
};
// Which worlds' pipelines the fault struck in (the wrapped handler and the armed fault meet here).
const stagedDeletions = new Set<string>();

// PostgreSQL goes away at the first load and never comes back: every load is retried until Pub/Sub
// dead-letters it, notify fails the file and the run ends failed with exactly one alert.
export const databaseGoneForGood: Fault = {
  name: 'database gone for good',
  description: 'PostgreSQL unreachable from the first load attempt on, past every retry',
  expect: 'failed-with-one-alert',
  // Short retries: the point is what happens once they are all spent.
  deploy: () => ({ deploy: { backoffOverride: { minSeconds: 1, maxSeconds: 3 } } }),
  async arm(world, controls) {
    let fired = false;
    const unsubscribe = onFirstFile(world.clients.firestore, (f) => Boolean(f.stages?.load?.startedAt), () => {
      fired = true;
      controls.log('database gone for good');
      world.proxy.down();
    });
    return { fired: () => fired, async disarm() { unsubscribe(); world.proxy.up(); } };
  },
};

export const FAULTS: readonly Fault[] = [duplicateDelivery, sftpDropMidFile, databaseOutageDuringLoad, databaseOutageDuringNotify, stagedDataDeleted, databaseGoneForGood, sigkillFault];
