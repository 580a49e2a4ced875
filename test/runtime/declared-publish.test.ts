// Unit test (fakes allowed): a stage publishes only to the topics its declaration lists, because the
// deployed identity may publish only there (infra/access-plan.ts). A stage that tries anything else
// gets a permanent error naming the declaration, locally and in the cloud alike.
import { describe, expect, it } from 'vitest';
import type { StageContext } from '../../functions/runtime/context';
import { createStageResources, type StageRunRecorder } from '../../functions/runtime/stage-context';
import { stages } from '../../functions/stages';
import { isPermanent } from '../../shared/errors';
import type { GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';
import type { StageMessage } from '../../shared/messages';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { STAGE_NAMES, type StageName } from '../../shared/stage-declaration';

function contextFor(stageName: StageName, sent: Array<{ target: StageName; message: StageMessage }>): StageContext {
  const stage = stages[stageName];
  const resources = createStageResources({
    pipeline: restaurantPos,
    stage,
    prefix: 'sluice',
    bucket: 'unit-bucket',
    // Never touched: the recorder and the publisher are handed in.
    clients: {} as GoogleClients,
    secrets: { read: () => Promise.reject(new Error('no secrets here')) },
    logger: silentLogger,
    runs: {} as StageRunRecorder,
    publish: async (target, message) => {
      sent.push({ target, message });
      return 'message-id';
    },
  });
  return resources.contextFor('m1', silentLogger);
}

const runFailed: StageMessage = { v: 1, type: 'sluice.run-failed', pipeline: 'restaurant-pos', runId: 'r1', stage: 'fetch', error: 'x' };

describe('publishing', () => {
  it.each(STAGE_NAMES.flatMap((from) => STAGE_NAMES.map((to) => [from, to] as const)))('%s → %s follows the declaration', async (from, to) => {
    const sent: Array<{ target: StageName; message: StageMessage }> = [];
    const ctx = contextFor(from, sent);
    if (stages[from].publishesTo.includes(to)) {
      await expect(ctx.publish(to, runFailed)).resolves.toBe('message-id');
      expect(sent).toEqual([{ target: to, message: runFailed }]);
    } else {
      const error = await ctx.publish(to, runFailed).then(() => undefined, (e: unknown) => e);
      expect(isPermanent(error)).toBe(true);
      expect(String((error as Error).message)).toBe(`stage ${from} publishes to ${to}, which its declaration (publishesTo) does not list`);
      expect(sent).toEqual([]);
    }
  });
});
