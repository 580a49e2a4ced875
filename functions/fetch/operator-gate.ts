// What an operator's controls mean for a trigger before fetch lists anything: a pipeline paused by an
// operator records its scheduled and push triggers as 'paused' runs (visible, never silent) and does
// nothing else; an operator's own trigger (manual, retry) still runs while paused. A run cancelled
// before fetch began, a paused run and a finished dry run are acknowledged as they are.
import type { Logger } from '../../shared/logger';
import type { TriggerMessage } from '../../shared/messages';
import type { IncomingMessage, StageContext } from '../runtime/context';
import type { PipelineStateStore } from '../runtime/pipeline-state-store';
import type { Actor } from '../runtime/run-record';

// The triggers a pause holds back: the ones no operator asked for.
const PAUSABLE: ReadonlySet<TriggerMessage['trigger']> = new Set(['schedule', 'push']);

// Who a trigger stands for when it names no one.
export function actorOf(trigger: TriggerMessage): Actor {
  if (trigger.actor) return trigger.actor;
  return trigger.trigger === 'push' ? 'push' : trigger.trigger === 'schedule' ? 'scheduler' : 'unknown';
}

export interface GateInput {
  ctx: StageContext;
  states: PipelineStateStore;
  trigger: TriggerMessage;
  message: IncomingMessage;
  runId: string;
  logicalDate?: string;
  log: Logger;
}

// True when fetch goes on with the run; false when the trigger is done with (acknowledge it).
export async function passOperatorGate(input: GateInput): Promise<boolean> {
  const { ctx, trigger, runId, log } = input;
  const existing = await ctx.runs.getRun(runId);
  if (existing?.status === 'cancelled' || existing?.status === 'paused' || existing?.dryRun) {
    log.info('run already ended by an operator control; nothing to fetch', { status: existing.status, dryRun: Boolean(existing.dryRun) });
    return false;
  }
  // A run that began before the pause (a redelivery of its trigger) goes on: a pause holds back new runs.
  if (existing && existing.status !== 'queued') return true;
  const state = await input.states.get(ctx.pipeline.name);
  if (!state.paused) return true;
  if (!PAUSABLE.has(trigger.trigger)) {
    log.info('pipeline is paused, but an operator trigger still runs', { trigger: trigger.trigger, actor: actorOf(trigger), pausedBy: state.pausedBy });
    return true;
  }
  const reason = `pipeline paused by ${state.pausedBy ?? 'an operator'} at ${state.pausedAt ?? 'an unknown time'}`;
  await ctx.runs.recordPausedRun(runId, {
    pipeline: ctx.pipeline.name, trigger: trigger.trigger, messageId: input.message.messageId, actor: actorOf(trigger), reason,
    ...(input.logicalDate !== undefined ? { logicalDate: input.logicalDate } : {}),
  });
  log.info('pipeline paused; trigger recorded as a paused run and not fetched', { reason, trigger: trigger.trigger });
  return false;
}
