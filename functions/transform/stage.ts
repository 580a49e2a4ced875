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
  // quarantine is read to find a copy an earlier delivery already made (it may not overwrite). An
  // archive's members are written to raw and the archive itself moves to archive (read: to see it
  // already moved).
  uses: { bucket: { read: ['raw', 'quarantine', 'archive'], write: ['raw', 'staged', 'quarantine', 'archive'], delete: ['raw', 'staged'] }, firestore: true, database: false, secrets: [] },
});
