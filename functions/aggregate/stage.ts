import { declareStage } from '../../shared/stage-declaration';

export const aggregateStage = declareStage({
  name: 'aggregate',
  description: 'Recomputes the roll-ups a load touched from the database and sets them in Firestore.',
  input: 'loaded',
  publishesTo: ['notify'],
  maxAttempts: 8,
  backoff: { minSeconds: 10, maxSeconds: 600 },
  ackDeadlineSeconds: 300,
  memory: '256Mi',
  timeoutSeconds: 300,
  maxInstances: 5,
  concurrency: 1,
  uses: { bucket: { read: [], write: [], delete: [] }, firestore: true, database: true, secrets: ['database'] },
});
