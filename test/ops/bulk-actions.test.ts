// A bulk rerun on real parts: the Firestore RunStore, the run controls and Pub/Sub on the local cloud.
// 75 failed runs match the filter (others do not): the dry run counts 75, the rerun reaches 75/75 with
// its progress readable between calls, each failed run has exactly one rerun, and starting the same
// action again reruns nothing twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { createBulkActions } from '../../functions/ops/bulk/create-bulk-actions';
import { createRunControls } from '../../functions/ops/controls/create-run-controls';
import type { BulkRequest } from '../../functions/ops/api-schemas';
import type { OpsDeps } from '../../functions/ops/ops-deps';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { defineOps } from '../../shared/ops-definition';
import { silentLogger } from '../../shared/logger';
import { definePipeline } from '../../shared/pipeline-definition';
import { topicName } from '../../shared/topology';
import { firestoreFor, pubsubFor, storageFor, uniqueName, uniqueProjectId } from '../support/local-cloud';

const projectId = uniqueProjectId('bulk');
const pipeline = definePipeline({ ...restaurantPos, name: uniqueName('bk') });
const operator = { principal: 'user:ana@example.com', role: 'operator' as const };
let firestore: Firestore;
let pubsub: PubSub;
let deps: OpsDeps;

beforeAll(async () => {
  firestore = firestoreFor(projectId);
  pubsub = pubsubFor(projectId);
  // Where the reruns' triggers go (nothing consumes them here: this test is about the bulk action).
  await pubsub.createTopic(topicName('sluice', pipeline.name, 'fetch'));
  deps = {
    pipelines: [pipeline], ops: defineOps({}), projectId, prefix: 'sluice', bucket: `${projectId}-data`,
    firestore, pubsub, storage: storageFor(projectId), runs: createFirestoreRunStore(firestore),
    logger: silentLogger, now: () => new Date(),
  } as Partial<OpsDeps> as OpsDeps;
  const runs = deps.runs;
  const seed = async (runId: string, failed: boolean, trigger: 'schedule' | 'manual' = 'schedule') => {
    await runs.startRun(runId, { pipeline: pipeline.name, trigger, messageId: `m-${runId}`, dates: ['2026-11-20'] });
    if (failed) await runs.settleFailedRun(runId, { pipeline: pipeline.name, stage: 'fetch', error: 'SFTP host key mismatch' });
    else await runs.setExpectedFiles(runId, 0);
  };
  const ids = Array.from({ length: 75 }, (_, i) => `failed-${String(i).padStart(2, '0')}`);
  for (let i = 0; i < ids.length; i += 15) await Promise.all(ids.slice(i, i + 15).map((id) => seed(id, true)));
  await Promise.all(['ok-1', 'ok-2', 'ok-3'].map((id) => seed(id, false)));
  await Promise.all(['manual-failed-1', 'manual-failed-2'].map((id) => seed(id, true, 'manual')));
}, 120_000);

afterAll(async () => {
  await pubsub?.close();
  await firestore?.terminate();
});

it('counts 75, reruns 75/75 with progress readable meanwhile, and a second start reruns nothing twice', async () => {
  const bulk = createBulkActions(deps, createRunControls(deps), { pageSize: 10, maxPagesPerCall: 2 });
  const request: BulkRequest = { action: 'rerun', filter: { pipeline: pipeline.name, status: ['failed'], trigger: 'schedule' }, rerun: { files: 'all', fromStage: 'fetch' }, dryRun: false };

  const counted = await bulk.start({ ...request, dryRun: true }, operator);
  expect(counted).toMatchObject({ status: 'counted', total: 75, done: 0, failed: 0 });
  expect(await deps.runs.countRuns({ pipeline: pipeline.name, trigger: 'retry' })).toBe(0);

  let view = await bulk.start(request, operator);
  const progress = [view.done];
  expect(view).toMatchObject({ id: counted.id, status: 'running', total: 75, done: 20 });
  while (view.status !== 'done') {
    view = (await bulk.get(view.id))!;
    progress.push(view.done);
  }
  expect(progress).toEqual([20, 40, 60, 75]);
  expect(view).toMatchObject({ status: 'done', total: 75, done: 75, failed: 0 });
  expect(view.runIds).toHaveLength(75);

  const reruns = await deps.runs.listRuns({ pipeline: pipeline.name, trigger: 'retry', limit: 200 });
  expect(reruns.runs).toHaveLength(75);
  const parents = reruns.runs.map((r) => r.parentRunId);
  expect(new Set(parents).size).toBe(75);
  expect(parents.every((p) => p?.startsWith('failed-'))).toBe(true);
  // Each parent records the rerun and the bulk action that asked for it.
  const parent = await deps.runs.getRun(parents[0]!);
  expect(parent?.actions?.map((a) => a.action)).toEqual(['rerun', 'bulk-rerun']);
  expect(parent?.actions?.[1]).toMatchObject({ actor: operator.principal, detail: { bulkId: view.id } });

  // The same action started again: answered from its record, nothing rerun a second time.
  const again = await bulk.start(request, operator);
  expect(again).toMatchObject({ id: view.id, status: 'done', done: 75 });
  expect(await deps.runs.countRuns({ pipeline: pipeline.name, trigger: 'retry' })).toBe(75);
});
