import { declareStage } from '../../shared/stage-declaration';

export const transformStage = declareStage({
  name: 'transform',
  description: 'Parses a raw file into normalized UTF-8 CSV with inferred column types in the staged area.',
  input: 'object-finalized',
  publishesTo: ['load', 'notify'],
  maxAttempts: 5,
  backoff: { minSeconds: 10, maxSeconds: 300 },
  ackDeadlineSeconds: 600,
  memory: '512Mi',
  timeoutSeconds: 540,
  maxInstances: 10,
  concurrency: 1,
  // quarantine is read to find a copy an earlier delivery already made (it may not overwrite).
  uses: { bucket: { read: ['raw', 'quarantine'], write: ['staged', 'quarantine'], delete: ['raw', 'staged'] }, firestore: true, database: false, secrets: [] },
});
