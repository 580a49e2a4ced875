// Builds what a stage handler is given. Per function instance: clients, the database pool, the run
// recorder (StageResources). Per message: a logger with the message id, and the helpers bound to it.
import pg from 'pg';
import { PermanentError } from '../../shared/errors';
import { processRedactor } from '../../shared/redact';
import type { Logger } from '../../shared/logger';
import type { GoogleClients } from '../../shared/google-clients';
import { encodeMessage, type StageMessage } from '../../shared/messages';
import type { Pipeline } from '../../shared/pipeline-definition';
import type { StageDeclaration, StageName } from '../../shared/stage-declaration';
import { databaseSecretFor } from '../../shared/stage-secrets';
import { topicName } from '../../shared/topology';
import type { SecretReader, StageContext } from './context';
import { databaseBounds, poolOptions } from './postgres/database-bounds';
import { quarantineObject } from './quarantine-object';
import { createFirestoreRunStore } from './firestore-run-store';
import type { RunRetention, RunStore } from './run-store';

export interface StageResourcesOptions {
  pipeline: Pipeline;
  stage: Readonly<StageDeclaration>;
  prefix: string;
  bucket: string;
  clients: GoogleClients;
  secrets: SecretReader;
  logger: Logger;
  localEndpoints?: StageContext['localEndpoints'];
  // Pool size per instance; stages run one message at a time per instance, so a few suffice.
  maxDatabaseConnections?: number;
  // Tests that only observe what a handler records and publishes hand in their own; by default the run
  // record is Firestore's and messages go to the pipeline's topics.
  runs?: StageRunRecorder;
  // How long run state is kept (the ops definition's retention); default 365 days for runs, 30 for files.
  retention?: RunRetention;
  publish?: StageContext['publish'];
}

// What handlers see as ctx.runs: the RunStore (its RunRecorder part for the stages, the rest for
// notify and the watchdog). The name stays for the tests' in-memory one.
export type StageRunRecorder = RunStore;

export interface StageResources {
  options: StageResourcesOptions;
  contextFor(messageId: string, logger: Logger): StageContext;
  close(): Promise<void>;
}

// Publishes to another stage's topic of this pipeline, with the attributes its subscribers and logs use.
export function topicPublisher(clients: GoogleClients, prefix: string, pipeline: Pipeline): StageContext['publish'] {
  return async (target: StageName, message: StageMessage, extra?: Record<string, string>) => {
    const attributes: Record<string, string> = { ...extra, pipeline: pipeline.name };
    if ('type' in message) attributes.sluiceType = message.type;
    if ('runId' in message && message.runId) attributes.runId = message.runId;
    return clients.pubsub.topic(topicName(prefix, pipeline.name, target)).publishMessage({ data: encodeMessage(message), attributes });
  };
}

export function createStageResources(options: StageResourcesOptions): StageResources {
  const { pipeline, stage, prefix, bucket, clients, secrets } = options;
  const runs = options.runs ?? createFirestoreRunStore(clients.firestore, options.retention ? { retention: options.retention } : {});
  let pool: Promise<pg.Pool> | undefined;

  function database(): Promise<pg.Pool> {
    if (!pool) {
      pool = secrets.read(databaseSecretFor(pipeline, stage)).then((connectionString) => {
        const created = new pg.Pool({ connectionString, max: options.maxDatabaseConnections ?? 3, ...poolOptions(databaseBounds(stage.timeoutSeconds)) });
        // An idle client losing its server must not crash the instance; the next query reconnects.
        created.on('error', (error) => options.logger.warn('database pool client error', { error: error.message }));
        return created;
      });
      pool.catch(() => (pool = undefined));
    }
    return pool;
  }

  const send = options.publish ?? topicPublisher(clients, prefix, pipeline);
  // The deployed identity may publish only to the topics the stage declares (infra/access-plan.ts);
  // checking here turns a declaration that forgot a topic into a clear error in every local run and
  // test, instead of a PERMISSION_DENIED that only the cloud would show.
  const publish: StageContext['publish'] = (target, message, attributes) => {
    if (!stage.publishesTo.includes(target)) {
      return Promise.reject(new PermanentError(`stage ${stage.name} publishes to ${target}, which its declaration (publishesTo) does not list`));
    }
    return send(target, message, attributes);
  };

  function contextFor(messageId: string, logger: Logger): StageContext {
    const ctx: StageContext = {
      pipeline,
      stage,
      logger,
      messageId,
      bucket,
      storage: clients.storage,
      pubsub: clients.pubsub,
      firestore: clients.firestore,
      secrets,
      runs,
      database,
      publish,
      localEndpoints: options.localEndpoints ?? {},
      async finishFile(runId, fileKey, outcome, details) {
        const { runComplete } = await runs.finishFile(runId, fileKey, outcome, details);
        if (runComplete) {
          logger.info('run complete', { runId, fileKey });
          await publish('notify', { v: 1, type: 'sluice.run-complete', pipeline: pipeline.name, runId });
        }
      },
      async setExpectedFiles(runId, count) {
        const { runComplete } = await runs.setExpectedFiles(runId, count);
        if (runComplete) {
          logger.info('run complete', { runId, expectedFiles: count });
          await publish('notify', { v: 1, type: 'sluice.run-complete', pipeline: pipeline.name, runId });
        }
      },
      async failRun(runId, rawError, failedStage = stage.name) {
        // The run-failed message carries the reason to notify: scrubbed like every other sink.
        const error = processRedactor.redact(rawError);
        const { firstFailure } = await runs.failRun(runId, failedStage, error);
        if (firstFailure) {
          logger.error('run failed', { runId, failedStage, error });
          await publish('notify', { v: 1, type: 'sluice.run-failed', pipeline: pipeline.name, runId, stage: failedStage, error });
        }
      },
      async quarantine(input) {
        const quarantinedAs = await quarantineObject(clients.storage, input, stage.name, pipeline.name);
        logger.warn('file quarantined', { runId: input.runId, fileKey: input.fileKey, reason: input.reason, row: input.row, quarantinedAs });
        await runs.stageFailed(input.runId, input.fileKey, stage.name, input.reason);
        await ctx.finishFile(input.runId, input.fileKey, 'quarantined', {
          stage: stage.name,
          error: input.reason,
          quarantinedAs,
          ...(input.row !== undefined ? { row: input.row } : {}),
        });
      },
    };
    return ctx;
  }

  return {
    options,
    contextFor,
    async close() {
      if (pool) await (await pool.catch(() => undefined))?.end();
    },
  };
}
