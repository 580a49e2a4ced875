// Messages another stage gave up on. Pub/Sub forwards them after the stage's max delivery attempts with
// the original data and CloudPubSubDeadLetter* attributes; the runner forwards a message that failed
// permanently (invalid, or a PermanentError) with `sluiceError`, `sluiceSourceStage` and
// `sluiceSourceMessageId`. Each is first kept for operators (sluice_dead_letters, once per original
// message: the ops API lists, replays and purges them), then the file (or run) it was about ends,
// failed, so the run can complete and its report and alert go out.
import { InvalidMessageError } from '../../shared/errors';
import { parseTrigger } from '../fetch/parse-trigger';
import { runIdFor } from '../fetch/run-id';
import { baseName, fileKeyOf, parseObjectName } from '../../shared/object-names';
import { STAGE_NAMES, type StageName } from '../../shared/stage-declaration';
import type { Pipeline } from '../../shared/pipeline-definition';
import type { IncomingMessage, StageContext } from '../runtime/context';
import type { Firestore } from '@google-cloud/firestore';
import { ops } from '../../pipelines/ops';
import type { DeadLetterStore, KeptDeadLetter } from '../runtime/dead-letter-store';
import { createFirestoreDeadLetterStore } from '../runtime/firestore-dead-letter-store';
import { renderOrphanDeadLetterAlert } from './render-alert';
import { sendOrphanAlert } from './destinations/mail/alert-mail';
import { smtpUrlOf } from './destinations/mail/mail-delivery';
import { postAlertWebhook } from './alerts/alert-deliveries';
import { orphanDeadLetterAlertOf } from './alerts/run-alerts';

export const DEAD_LETTER_SUBSCRIPTION = 'CloudPubSubDeadLetterSourceSubscription';
export const DEAD_LETTER_DELIVERY_COUNT = 'CloudPubSubDeadLetterSourceDeliveryCount';
export const SLUICE_ERROR = 'sluiceError';
export const SLUICE_SOURCE_STAGE = 'sluiceSourceStage';
export const SLUICE_SOURCE_MESSAGE_ID = 'sluiceSourceMessageId';
// What dead-lettering adds to a message's attributes: Pub/Sub's CloudPubSubDeadLetter* and the
// runner's. A replay publishes the original attributes without them.
export const isDeadLetterAttribute = (name: string): boolean => name.startsWith('CloudPubSubDeadLetter') || name === SLUICE_ERROR || name === SLUICE_SOURCE_STAGE || name === SLUICE_SOURCE_MESSAGE_ID;
const DEAD_LETTER_PUBLISH_TIME = 'CloudPubSubDeadLetterSourceTopicPublishTime';

export type DeadLetterTarget =
  | { kind: 'file'; runId: string; fileKey: string; name?: string }
  | { kind: 'run'; runId: string }
  // A trigger without a run id: its run id is derived as fetch derives it, from the payload and the
  // original publish time the dead letter keeps (functions/fetch/run-id.ts); failing that, the run is
  // looked up by the trigger's message id.
  | { kind: 'trigger'; messageIds: string[]; detail: Record<string, unknown>; runId?: string }
  | { kind: 'undecodable'; why: string };

export interface DeadLetter {
  stage: StageName | 'unknown';
  error: string;
  target: DeadLetterTarget;
}

export function isDeadLetter(message: IncomingMessage): boolean {
  return message.attributes[DEAD_LETTER_SUBSCRIPTION] !== undefined || message.attributes[SLUICE_ERROR] !== undefined;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;
const isStage = (value: string | undefined): value is StageName => value !== undefined && (STAGE_NAMES as readonly string[]).includes(value);

// `projects/p/subscriptions/<prefix>-<pipeline>-<stage>-push` → stage.
export function stageOfSubscription(subscription: string | undefined): StageName | undefined {
  const name = subscription?.slice(subscription.lastIndexOf('/') + 1);
  const stage = name ? /-([a-z]+)-push$/.exec(name)?.[1] : undefined;
  return isStage(stage) ? stage : undefined;
}

// Which stage consumes a message of this shape: the fallback when the attributes do not say.
function stageOfData(data: Record<string, unknown>): StageName | undefined {
  switch (data.type) {
    case 'sluice.trigger': return 'fetch';
    case 'sluice.staged': return 'load';
    case 'sluice.loaded': return 'aggregate';
    default: return typeof data.name === 'string' && typeof data.bucket === 'string' ? 'transform' : undefined;
  }
}

function targetOf(pipeline: string, data: Record<string, unknown>, messageIds: string[], derivedRunId?: string): DeadLetterTarget {
  if (typeof data.pipeline === 'string' && data.pipeline !== pipeline) return { kind: 'undecodable', why: `message is for pipeline "${data.pipeline}"` };
  const runId = typeof data.runId === 'string' && RUN_ID.test(data.runId) ? data.runId : undefined;
  if (data.type === 'sluice.staged' || data.type === 'sluice.loaded') {
    if (runId && typeof data.fileKey === 'string' && data.fileKey.length > 0) return { kind: 'file', runId, fileKey: data.fileKey };
    return { kind: 'undecodable', why: `${data.type} message without runId/fileKey` };
  }
  if (data.type === 'sluice.trigger') {
    if (runId) return { kind: 'run', runId };
    const detail: Record<string, unknown> = { trigger: data.trigger };
    if (typeof data.date === 'string') detail.date = data.date;
    return { kind: 'trigger', messageIds, detail, ...(derivedRunId ? { runId: derivedRunId } : {}) };
  }
  // A source action (renewing Gmail's watch) belongs to no run: alerted as such, naming the action.
  if (data.type === 'sluice.source-action') return { kind: 'trigger', messageIds, detail: { action: data.action } };
  // A Cloud Storage notification (JSON_API_V1): the object resource.
  if (typeof data.name === 'string' && typeof data.bucket === 'string') {
    const location = parseObjectName(data.name);
    if (!location || location.pipeline !== pipeline) return { kind: 'undecodable', why: `object ${data.name} is not one of this pipeline's files` };
    return { kind: 'file', runId: location.runId, fileKey: fileKeyOf(location.path), name: baseName(location.path) };
  }
  return { kind: 'undecodable', why: 'not a message of any Sluice stage' };
}

// The run fetch gave (or would have given) a trigger, from what its dead letter keeps.
function triggerRunId(message: IncomingMessage, source?: Pick<Pipeline, 'name' | 'source'>): string | undefined {
  try {
    return runIdFor(parseTrigger(message.data, source), message);
  } catch {
    return undefined; // not a valid trigger, or no publish time: fall back to the message ids
  }
}

// Pure: what a dead letter is about and the error to record.
// `source`: the pipeline itself, so a provider's own notification (Gmail's push data, which has no
// `type`) is read as the trigger it stood for and finds its run like any trigger.
export function describeDeadLetter(pipeline: string, message: IncomingMessage, source?: Pick<Pipeline, 'name' | 'source'>): DeadLetter {
  let data: unknown;
  try {
    data = JSON.parse(message.data.toString('utf8'));
  } catch {
    data = undefined;
  }
  const record = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  const asTrigger = record && record.type === undefined && source ? pushTriggerData(message, source) : undefined;
  const about = asTrigger ?? record;
  const attrs = message.attributes;
  const stage = stageOfSubscription(attrs[DEAD_LETTER_SUBSCRIPTION]) ?? (isStage(attrs[SLUICE_SOURCE_STAGE]) ? attrs[SLUICE_SOURCE_STAGE] : undefined) ?? (about ? stageOfData(about) : undefined) ?? 'unknown';
  const attempts = Number(attrs[DEAD_LETTER_DELIVERY_COUNT]);
  const rejected = attrs[SLUICE_ERROR];
  const error = rejected !== undefined
    ? `failed permanently in ${stage}: ${rejected}`
    : `gave up after ${Number.isFinite(attempts) && attempts > 0 ? attempts : 'repeated'} attempts in ${stage}`;
  // The runner names the original message; Pub/Sub's own forwarding does not, so we also try the id
  // this copy arrived with.
  const messageIds = [...new Set([attrs[SLUICE_SOURCE_MESSAGE_ID], message.messageId].filter((id): id is string => !!id))];
  const target: DeadLetterTarget = about ? targetOf(pipeline, about, messageIds, triggerRunId(message, source)) : { kind: 'undecodable', why: 'data is not a JSON object' };
  return { stage, error, target };
}

// The kept form of a dead letter: the original message apart from what dead-lettering added, keyed
// (firestore-dead-letter-store.ts) by the original's id when the runner names it, else by the id of
// this copy, which every redelivery of it keeps.
export function keptFormOf(pipeline: string, message: IncomingMessage, letter: DeadLetter, about: { runId?: string; fileKey?: string; file?: string; why?: string }): Parameters<DeadLetterStore['keep']>[0] {
  const original: Record<string, string> = {};
  const added: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) (isDeadLetterAttribute(name) ? added : original)[name] = value;
  const attempts = Number(message.attributes[DEAD_LETTER_DELIVERY_COUNT]);
  const originalId = message.attributes[SLUICE_SOURCE_MESSAGE_ID];
  const publishTime = message.attributes[DEAD_LETTER_PUBLISH_TIME] ?? (originalId ? message.publishTime : undefined);
  const kept: Omit<KeptDeadLetter, 'id' | 'receivedAt' | 'replays'> = {
    pipeline,
    stage: letter.stage,
    reason: about.why ? `${letter.error} (undecodable: ${about.why})` : letter.error,
    ...(Number.isFinite(attempts) && attempts > 0 ? { attempts } : {}),
    ...(about.runId ? { runId: about.runId } : {}),
    ...(about.fileKey ? { fileKey: about.fileKey } : {}),
    ...(about.file ? { file: about.file } : {}),
    message: { data: message.data.toString('base64'), attributes: original, ...(originalId ? { messageId: originalId } : {}), ...(publishTime ? { publishTime } : {}) },
    deadLetter: { messageId: message.messageId, attributes: added },
  };
  return kept;
}

// One store per Firestore client (per function instance); retention from the ops definition.
const stores = new WeakMap<Firestore, DeadLetterStore>();
function deadLetterStoreOf(firestore: Firestore): DeadLetterStore {
  let store = stores.get(firestore);
  if (!store) stores.set(firestore, (store = createFirestoreDeadLetterStore(firestore, { retentionDays: ops.retention.deadLetterDays })));
  return store;
}

export async function handleDeadLetter(ctx: StageContext, message: IncomingMessage, deadLetters: DeadLetterStore = deadLetterStoreOf(ctx.firestore)): Promise<void> {
  const letter = describeDeadLetter(ctx.pipeline.name, message, ctx.pipeline);
  const { stage, error, target } = letter;
  const log = ctx.logger.child({ sourceStage: stage, deadLetter: message.messageId });
  // The run failed in the stage that gave the message up, not in notify, which only records it.
  const failedStage = stage === 'unknown' ? undefined : stage;
  const keep = async (about: { runId?: string; fileKey?: string; file?: string; why?: string }) => {
    const kept = await deadLetters.keep(keptFormOf(ctx.pipeline.name, message, letter, about));
    log.info('dead letter kept', { deadLetterId: kept.id, runId: about.runId, fileKey: about.fileKey });
  };

  if (target.kind === 'undecodable') {
    // Nothing to end or alert on; acknowledged so it does not loop. Kept, and the log line says so.
    await keep({ why: target.why });
    log.error('undecodable dead letter acknowledged', { why: target.why, error, attributes: message.attributes, bytes: message.data.length });
    return;
  }
  const runId = target.kind === 'trigger' ? await runOfTrigger(ctx, target) : target.runId;
  const run = runId ? await ctx.runs.getRun(runId) : undefined;
  // Kept before anything ends, so a letter that ends its run is on record before the alert goes out.
  await keep({ ...(runId ? { runId } : {}), ...(target.kind === 'file' ? { fileKey: target.fileKey, ...(target.name ? { file: target.name } : {}) } : {}) });
  // A trigger whose run fetch had already listed and counted (expectedFiles set) did its work: it was
  // dead-lettered because its acknowledgements were lost (Pub/Sub redelivering a message that was
  // handled), not because fetch gave up. Failing the run now would turn a run that succeeded, or is
  // still going, into a failure with a false alert; what happens to its files is theirs to tell.
  if (run && (target.kind === 'trigger' || target.kind === 'run') && run.expectedFiles !== null && run.expectedFiles !== undefined) {
    log.warn('dead letter for a trigger whose run already listed its files; nothing to do', { runId, expectedFiles: run.expectedFiles, status: run.status, error });
    return;
  }
  if (runId && target.kind === 'trigger' && run) {
    log.error('trigger given up; failing its run', { runId, error });
    await ctx.failRun(runId, error, failedStage);
    return;
  }
  if (!run) {
    const detail = { ...(target.kind === 'trigger' ? target.detail : { runId, ...(target.kind === 'file' ? { fileKey: target.fileKey, file: target.name } : {}) }) };
    log.error('dead letter for no recorded run; alerting', { error, ...detail });
    const mail = renderOrphanDeadLetterAlert({ pipeline: ctx.pipeline, stage, error, messageId: message.messageId, detail });
    await sendOrphanAlert(smtpUrlOf(ctx), mail);
    await postAlertWebhook(ctx, orphanDeadLetterAlertOf({ pipeline: ctx.pipeline.name, stage, error, detail, ...(ctx.dashboardUrl ? { dashboardUrl: ctx.dashboardUrl } : {}) }), log);
    return;
  }
  if (target.kind === 'run') {
    log.error('trigger given up; failing the run', { runId: target.runId, error });
    await ctx.failRun(target.runId, error, failedStage);
    return;
  }
  if (target.kind !== 'file') throw new InvalidMessageError('unreachable dead-letter target');
  const file = await ctx.runs.getFile(target.runId, target.fileKey);
  if (file?.status && file.status !== 'pending') {
    log.warn('dead letter for a file that already ended; nothing to do', { runId: target.runId, fileKey: target.fileKey, status: file.status });
    return;
  }
  log.error('file given up; ending it failed', { runId: target.runId, fileKey: target.fileKey, file: target.name ?? file?.name, error });
  if (stage !== 'unknown') await ctx.runs.stageFailed(target.runId, target.fileKey, stage, error);
  // The file may have died before any stage named it on the run; the alert should say which it was.
  if (target.name && !file?.name) await ctx.runs.nameFile(target.runId, target.fileKey, target.name);
  await ctx.finishFile(target.runId, target.fileKey, 'failed', { ...(stage !== 'unknown' ? { stage } : {}), error });
}

// The run a given-up trigger started: by its derived id when that run exists, else by the trigger's
// message id, which the run records.
async function runOfTrigger(ctx: StageContext, target: Extract<DeadLetterTarget, { kind: 'trigger' }>): Promise<string | undefined> {
  if (target.runId && (await ctx.runs.getRun(target.runId))) return target.runId;
  if (target.messageIds.length === 0) return undefined;
  return ctx.runs.findRunByMessageId(ctx.pipeline.name, target.messageIds);
}

// The trigger a provider notification stood for (parse-trigger.ts decides by the source's declared
// shape), as message data; undefined when the data is not one.
function pushTriggerData(message: IncomingMessage, source: Pick<Pipeline, 'name' | 'source'>): Record<string, unknown> | undefined {
  try {
    const trigger = parseTrigger(message.data, source);
    return trigger.trigger === 'push' ? { ...trigger } : undefined;
  } catch {
    return undefined;
  }
}
