// /health (the process answers: nothing touched) and /health/detailed: Firestore, Pub/Sub and Cloud
// Storage once, each pipeline's PostgreSQL and source, all at once, each bounded. Required (503 when
// down): what the deployment itself needs — Firestore, Pub/Sub, Cloud Storage, the databases. A
// source is the outside world's: its being down makes the report 'degraded', not 'down'.
import { processRedactor, type Redactor } from '../../../shared/redact';
import { connectorFor } from '../../fetch/sources/connectors';
import type { SourceConnectors } from '../../fetch/sources/source-connector';
import type { HealthReport } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import type { HealthChecks } from '../ops-service';
import { checkFirestore, checkPostgres, checkPubSub, checkSource, checkStorage } from './dependency-checks';
import { CHECK_TIMEOUT_MS, runCheck, type CheckSpec } from './run-check';

export interface HealthCheckOptions {
  timeoutMs?: number;
  redactor?: Redactor;
  // The source connectors (default: fetch's); tests give stand-ins.
  connectors?: SourceConnectors;
}

type HealthDeps = Pick<OpsDeps, 'pipelines' | 'firestore' | 'pubsub' | 'storage' | 'bucket' | 'prefix' | 'secrets' | 'localEndpoints' | 'logger' | 'now'>;

export function createHealthChecks(deps: HealthDeps, options: HealthCheckOptions = {}): HealthChecks {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const redactor = options.redactor ?? processRedactor;
  const specs = (): CheckSpec[] => {
    const first = deps.pipelines[0];
    return [
      { name: 'firestore', required: true, check: () => checkFirestore(deps.firestore) },
      // Pub/Sub is one service: asked once, about the first pipeline's fetch topic.
      ...(first ? [{ name: 'pubsub', required: true, check: () => checkPubSub(deps.pubsub, deps.prefix, first.name) }] : []),
      { name: 'storage', required: true, check: () => checkStorage(deps.storage, deps.bucket) },
      ...deps.pipelines.flatMap((pipeline): CheckSpec[] => [
        { name: 'postgres', required: true, pipeline: pipeline.name, check: () => checkPostgres(pipeline, deps.secrets, timeoutMs) },
        {
          name: `source:${pipeline.source.kind}`,
          required: false,
          pipeline: pipeline.name,
          check: () => checkSource(connectorFor(pipeline.source, options.connectors), pipeline, {
            pipeline: pipeline.name,
            secrets: deps.secrets,
            firestore: deps.firestore,
            logger: deps.logger.child({ pipeline: pipeline.name, component: 'health' }),
            now: deps.now,
            localEndpoints: deps.localEndpoints,
          }),
        },
      ]),
    ];
  };
  return {
    live: () => ({ status: 'ok' }),
    async detailed(): Promise<HealthReport> {
      const dependencies = await Promise.all(specs().map((spec) => runCheck(spec, { timeoutMs, redactor })));
      const down = dependencies.some((d) => d.required && !d.ok);
      const degraded = dependencies.some((d) => !d.ok);
      return { status: down ? 'down' : degraded ? 'degraded' : 'ok', checkedAt: deps.now().toISOString(), dependencies };
    },
  };
}
