// Runs a source action (a `sluice.source-action` message on the fetch topic: work for the source
// that is not a run, e.g. renewing Gmail's watch) with the connector that declares it. Generic: the
// action is looked up by the source's kind and the action's name, never by a `kind ===` chain.
// An action no connector declares is a message that can never succeed: dead-lettered with the reason
// (notify alerts). Anything the action throws takes the path its kind gives it (permanent or retried).
import { InvalidMessageError } from '../../shared/errors';
import type { SourceActionMessage } from '../../shared/messages';
import type { Source, SourceKind } from '../../shared/pipeline-definition';
import type { IncomingMessage, StageContext } from '../runtime/context';
import type { SourceAction } from './sources/source-connector';

// Each kind's actions, by name; the connectors registry fits (SourceConnector.actions).
export type SourceActionTable = { [K in SourceKind]?: { actions?: Readonly<Record<string, SourceAction<Extract<Source, { kind: K }>>>> } };

export async function runSourceAction(
  ctx: StageContext,
  message: IncomingMessage,
  action: SourceActionMessage,
  table: SourceActionTable,
  now: () => Date,
): Promise<void> {
  const pipeline = ctx.pipeline.name;
  if (action.pipeline !== pipeline) {
    throw new InvalidMessageError(`source action for pipeline "${action.pipeline}" delivered to the fetch stage of "${pipeline}"`);
  }
  const source = ctx.pipeline.source;
  const actions = table[source.kind]?.actions as Readonly<Record<string, SourceAction>> | undefined;
  const run = actions !== undefined && Object.hasOwn(actions, action.action) ? actions[action.action] : undefined;
  if (!run) {
    throw new InvalidMessageError(`source action "${action.action}" is not one the ${source.kind} source of pipeline "${pipeline}" has`);
  }
  const log = ctx.logger.child({ pipeline, stage: 'fetch', action: action.action, messageId: message.messageId });
  const started = Date.now();
  await run(source, {
    pipeline,
    // The Pub/Sub client knows the project: topic(id).name is projects/<project>/topics/<id>.
    ...(action.topic !== undefined ? { topic: ctx.pubsub.topic(action.topic).name } : {}),
    secrets: ctx.secrets,
    firestore: ctx.firestore,
    logger: log,
    now,
    localEndpoints: ctx.localEndpoints,
  });
  log.info('source action done', { durationMs: Date.now() - started, deliveryAttempt: message.deliveryAttempt });
}
