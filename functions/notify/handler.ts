// The notify stage: run-complete (report + alert), run-failed (alert), the watchdog's sweep (fail
// stalled runs), and what other stages gave up on (end the file or run failed, which in turn brings
// the report and alert).
import { InvalidMessageError } from '../../shared/errors';
import { parseMessage, runCompleteMessageSchema, runFailedMessageSchema } from '../../shared/messages';
import type { IncomingMessage, StageContext } from '../runtime/context';
import { handleDeadLetter, isDeadLetter } from './dead-letter';
import { handleRunComplete } from './run-complete';
import { handleRunFailed } from './run-failed';
import { handleSweep } from './sweep';

export async function handleNotify(ctx: StageContext, message: IncomingMessage): Promise<void> {
  if (isDeadLetter(message)) return handleDeadLetter(ctx, message);
  let data: unknown;
  try {
    data = JSON.parse(message.data.toString('utf8'));
  } catch {
    throw new InvalidMessageError('invalid notify message: data is not JSON');
  }
  const type = (data as { type?: unknown } | null)?.type;
  const pipeline = (data as { pipeline?: unknown } | null)?.pipeline;
  if (pipeline !== undefined && pipeline !== ctx.pipeline.name) throw new InvalidMessageError(`notify message for pipeline "${String(pipeline)}" reached "${ctx.pipeline.name}"`);
  if (type === 'sluice.run-complete') return handleRunComplete(ctx, parseMessage(runCompleteMessageSchema, data, 'run-complete'));
  if (type === 'sluice.run-failed') return handleRunFailed(ctx, parseMessage(runFailedMessageSchema, data, 'run-failed'));
  if (type === 'sluice.sweep') {
    await handleSweep(ctx, message);
    return;
  }
  throw new InvalidMessageError(`notify does not handle messages of type ${JSON.stringify(type)}`);
}
