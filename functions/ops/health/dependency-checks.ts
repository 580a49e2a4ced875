// What /health/detailed asks each dependency: the cheapest call that proves it answers us.
// Firestore: read one document. Pub/Sub: the pipeline's fetch topic's metadata. Cloud Storage: the
// bucket's existence. PostgreSQL: connect with the pipeline's database secret and `select 1`. A
// source: its connector's probe (SFTP connect, Gmail getProfile). A permission refusal from a
// Google service still proves the service is reachable; it is reported as such, not as down.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import pg from 'pg';
import type { Pipeline } from '../../../shared/pipeline-definition';
import { topicName } from '../../../shared/topology';
import type { SecretReader } from '../../runtime/context';
import type { SourceConnector, SourceProbeRuntime } from '../../fetch/sources/source-connector';
import { PIPELINES_COLLECTION } from '../../runtime/pipeline-state-store';

const PERMISSION_DENIED = 7;

export async function checkFirestore(firestore: Firestore): Promise<void> {
  await firestore.collection(PIPELINES_COLLECTION).doc('_health').get();
}

export async function checkPubSub(pubsub: PubSub, prefix: string, pipeline: string): Promise<void> {
  try {
    const [exists] = await pubsub.topic(topicName(prefix, pipeline, 'fetch')).exists();
    if (!exists) throw new Error(`the topic ${topicName(prefix, pipeline, 'fetch')} does not exist`);
  } catch (error) {
    // The ops function may publish without being allowed to read topic metadata: Pub/Sub answered.
    if ((error as { code?: unknown }).code === PERMISSION_DENIED) return;
    throw error;
  }
}

export async function checkStorage(storage: Storage, bucket: string): Promise<void> {
  try {
    const [exists] = await storage.bucket(bucket).exists();
    if (!exists) throw new Error(`the bucket ${bucket} does not exist`);
  } catch (error) {
    if ((error as { code?: unknown }).code === 403) return;
    throw error;
  }
}

export async function checkPostgres(pipeline: Pipeline, secrets: SecretReader, timeoutMs: number): Promise<void> {
  const url = await secrets.read(pipeline.database.url.secret);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A connection that fails later must not crash the process with an unhandled 'error'.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkSource(connector: SourceConnector, pipeline: Pipeline, runtime: SourceProbeRuntime): Promise<void> {
  if (!connector.probe) throw new Error(`the ${pipeline.source.kind} connector cannot be probed`);
  await connector.probe(pipeline.source, runtime);
}
