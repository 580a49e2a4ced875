import { declareStage } from '../../shared/stage-declaration';

export const fetchStage = declareStage({
  name: 'fetch',
  description: 'Lists the source and copies each new file to the raw area of the bucket.',
  input: 'trigger',
  publishesTo: ['notify'],
  maxAttempts: 5,
  backoff: { minSeconds: 10, maxSeconds: 300 },
  ackDeadlineSeconds: 600,
  memory: '512Mi',
  timeoutSeconds: 540,
  maxInstances: 2,
  concurrency: 1,
  // archive and quarantine are read on a redelivery: a file already moved on there is not fetched again.
  uses: { bucket: { read: ['raw', 'archive', 'quarantine'], write: ['raw'], delete: [] }, firestore: true, database: false, secrets: ['source'] },
});
