// The crash fault: SIGKILL one function's process mid-work, as a Cloud Functions instance dies (out of
// memory, a host failure) with no handler run and no response sent; the host starts a fresh process on
// the same URL (bundle-host.ts kill()), and Pub/Sub push retries the message it held. Seeded: the seed
// picks the stage whose function dies, the run and file it dies on, and a delay of 0–300 ms after that
// stage records its start on the file, so the kill lands somewhere inside the stage's work (copying,
// parsing, writing, inside the load transaction, between the database commit and the ledger update…).
// notify works per run, not per file: it dies 0–300 ms after the chosen run completes (report queries,
// claim, send).
//
// Needs every function in a process of its own: the world is deployed from the built bundles.
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import type { StageName } from '../../shared/stage-declaration';
import { functionName } from '../../shared/topology';
import type { ArmedFault, Fault, FaultControls } from './faults';
import type { ChaosWorld } from './world';

// The demo export's files (emulator/demo/pos-export.ts), as sftpDropMidFile names them.
const EXPORT_FILES = ['OrderDetails.csv', 'ItemSelectionDetails.csv', 'PaymentDetails.csv'] as const;
const FILE_STAGES = ['fetch', 'transform', 'load', 'aggregate'] as const satisfies readonly StageName[];
const KILLABLE: readonly StageName[] = [...FILE_STAGES, 'notify'];
const MAX_DELAY_MS = 300;

export interface SigkillPlan {
  stage: StageName;
  // Index into world.dates: the run the kill happens in.
  run: number;
  // The file whose stage start arms the kill (file stages only).
  file?: string;
  delayMs: number;
}

export interface SigkillFaultOptions {
  // The built bundles; default dist/functions of this repository (`npm run build`).
  bundlesDir?: string;
  // Only these stages' functions are killed (default: all five).
  stages?: readonly StageName[];
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length) % items.length]!;

// Files whose rule feeds an aggregate: only they reach the aggregate stage.
function filesReaching(world: ChaosWorld, stage: StageName): string[] {
  if (stage !== 'aggregate') return [...EXPORT_FILES];
  const aggregated = new Set(world.pipeline.aggregates.map((a) => a.table));
  return EXPORT_FILES.filter((file) => world.pipeline.imports.some((rule) => aggregated.has(rule.table) && new RegExp(rule.match).test(file)));
}

export function planSigkill(world: ChaosWorld, random: () => number, stages: readonly StageName[] = KILLABLE): SigkillPlan {
  const stage = pick(random, stages);
  const run = Math.floor(random() * world.dates.length) % Math.max(1, world.dates.length);
  const delayMs = Math.floor(random() * (MAX_DELAY_MS + 1));
  if (stage === 'notify') return { stage, run, delayMs };
  return { stage, run, file: pick(random, filesReaching(world, stage)), delayMs };
}

// A file record's name is its path under the export's date folder (e.g. 20260914/OrderDetails.csv).
const isFile = (name: unknown, file: string) => typeof name === 'string' && (name === file || name.endsWith(`/${file}`));

// Calls `strike` once, when the chosen run's chosen file records the stage's start.
function onStageStart(firestore: Firestore, world: ChaosWorld, plan: SigkillPlan, strike: () => void): () => void {
  let done = false;
  const fire = () => {
    if (done) return;
    done = true;
    strike();
  };
  // The run is started after the fault is armed, so its id is looked up as records change.
  const runs = createFirestoreRunStore(firestore);
  if (plan.stage === 'notify') {
    return runs.watchRuns({ limit: 500 }, (list) => {
      const runId = world.runIds[plan.run];
      if (runId && list.some((run) => run.runId === runId && run.completedAt)) fire();
    }, () => undefined);
  }
  return runs.watchAllFiles((files) => {
    const runId = world.runIds[plan.run];
    if (!runId) return;
    if (files.some((f) => f.runId === runId && isFile(f.name, plan.file!) && Boolean(f.stages?.[plan.stage]?.startedAt))) fire();
  }, () => undefined);
}

export function createSigkillFault(options: SigkillFaultOptions = {}): Fault {
  const stages = options.stages ?? KILLABLE;
  return {
    name: options.stages ? `SIGKILL of ${stages.join('/')} mid-work` : 'SIGKILL of a function mid-work',
    description: 'one seeded function process (fetch, transform, load, aggregate or notify) is SIGKILLed 0–300 ms after a seeded file reaches its stage, and replaced on the same URL',
    deploy: () => ({ deploy: { bundles: options.bundlesDir ? { dir: options.bundlesDir } : true } }),
    async arm(world: ChaosWorld, controls: FaultControls): Promise<ArmedFault> {
      const host = world.bundleHost;
      if (!host) throw new Error('the SIGKILL fault needs the world deployed from bundles (Fault.deploy.bundles)');
      const plan = planSigkill(world, controls.random, stages);
      const target = functionName(world.deployment.prefix, world.pipeline.name, plan.stage);
      const where = plan.file ? `run ${plan.run + 1}'s ${plan.file} reaches ${plan.stage}` : `run ${plan.run + 1} completes`;
      controls.log(`sigkill: ${target} ${plan.delayMs} ms after ${where}`);
      // Whether the kill cut a delivery short (the push saw the connection go): a kill between two
      // requests proves less, and the log says which it was.
      const subscriptions = new Set(world.deployment.topologies.flatMap((t) => t.pushSubscriptions.filter((p) => p.targetFunction === target).map((p) => p.subscription)));
      let killedAt: number | undefined;
      let interrupted = 0;
      const stopListening = world.onPushEvent((event) => {
        if (killedAt === undefined || event.kind !== 'attempt' || !subscriptions.has(event.subscription)) return;
        if (event.sentAt <= killedAt && !event.outcome.ok && event.outcome.reason === 'connection') interrupted++;
      });
      let fired = false;
      let timer: NodeJS.Timeout | undefined;
      let killing: Promise<unknown> | undefined;
      const unsubscribe = onStageStart(world.clients.firestore, world, plan, () => {
        timer = setTimeout(() => {
          fired = true;
          killedAt = Date.now();
          killing = host.kill(target).then(
            (k) => controls.log(`sigkill: killed ${target} (pid ${k.killedPid}), replaced by pid ${k.newPid ?? 'none'} in ${k.downMs} ms`),
            (error: unknown) => controls.log(`sigkill: killing ${target} failed: ${(error as Error).message}`),
          );
        }, plan.delayMs);
      });
      return {
        fired: () => fired,
        async disarm() {
          unsubscribe();
          stopListening();
          if (timer) clearTimeout(timer);
          await killing;
          if (fired) controls.log(`sigkill: ${interrupted === 0 ? 'no delivery was in flight' : `${interrupted} deliver${interrupted === 1 ? 'y' : 'ies'} cut short`} by the kill of ${target}`);
        },
      };
    },
  };
}

// Every stage's function, dist/functions: what `npm run chaos` runs.
export const sigkillFault: Fault = createSigkillFault();
