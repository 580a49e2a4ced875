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
  uses: { bucket: { read: ['raw'], write: ['raw'], delete: [] }, firestore: true, database: false, secrets: ['source'] },
});
