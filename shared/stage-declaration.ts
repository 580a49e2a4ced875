// A stage is declared as plain data: what feeds it, what it may touch, how it is retried and sized.
// The runtime registers the handler beside it; the local cloud and the Pulumi program read only this.

export type StageName = 'fetch' | 'transform' | 'load' | 'aggregate' | 'notify';
export const STAGE_NAMES: readonly StageName[] = ['fetch', 'transform', 'load', 'aggregate', 'notify'];

// Areas of the pipeline bucket; object names start with `<area>/<pipeline>/`.
export type BucketArea = 'raw' | 'staged' | 'archive' | 'quarantine';

export interface StageDeclaration {
  name: StageName;
  description: string;
  // Where its input comes from: its own topic, fed by publishers, a schedule, or bucket notifications.
  input: 'trigger' | 'object-finalized' | 'staged' | 'loaded' | 'run-event';
  // Stage topics it publishes to (besides its own dead-letter topic).
  publishesTo: StageName[];
  // Delivery: Pub/Sub push subscription settings.
  maxAttempts: number;
  backoff: { minSeconds: number; maxSeconds: number };
  ackDeadlineSeconds: number;
  // Function sizing.
  memory: string;
  timeoutSeconds: number;
  maxInstances: number;
  concurrency: number;
  // What it touches, for least-privilege identities.
  uses: {
    bucket: { read: BucketArea[]; write: BucketArea[]; delete: BucketArea[] };
    firestore: boolean;
    database: boolean;
    // Which of the pipeline's secrets it reads.
    // 'database-read': the read-only database secret when the pipeline declares one, else the database URL.
    // 'source' / 'destinations': every secret referenced inside the pipeline's source / destinations.
    secrets: Array<'source' | 'destinations' | 'database' | 'database-read' | 'mail' | 'alerts'>;
  };
}

export function declareStage(declaration: StageDeclaration): Readonly<StageDeclaration> {
  if (declaration.backoff.minSeconds > declaration.backoff.maxSeconds) {
    throw new Error(`stage ${declaration.name}: backoff.minSeconds exceeds backoff.maxSeconds`);
  }
  // Pub/Sub accepts 5..100 delivery attempts and ack deadlines of 10..600 s.
  if (declaration.maxAttempts < 5 || declaration.maxAttempts > 100) {
    throw new Error(`stage ${declaration.name}: maxAttempts must be within 5..100 (Pub/Sub dead-letter policy)`);
  }
  if (declaration.ackDeadlineSeconds < 10 || declaration.ackDeadlineSeconds > 600) {
    throw new Error(`stage ${declaration.name}: ackDeadlineSeconds must be within 10..600`);
  }
  return Object.freeze(declaration);
}
