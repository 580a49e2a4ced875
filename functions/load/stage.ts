import { declareStage } from '../../shared/stage-declaration';

export const loadStage = declareStage({
  name: 'load',
  description: 'Streams a staged file into PostgreSQL with COPY, once per (object, generation), then archives it.',
  input: 'staged',
  // transform: a raw file whose staged data vanished before it was loaded is transformed again.
  publishesTo: ['transform', 'aggregate', 'notify'],
  maxAttempts: 8,
  backoff: { minSeconds: 10, maxSeconds: 600 },
  ackDeadlineSeconds: 600,
  memory: '512Mi',
  timeoutSeconds: 540,
  maxInstances: 5,
  concurrency: 1,
  uses: {
    // archive and quarantine are read to find a copy an earlier delivery already made (it may not overwrite).
    bucket: { read: ['raw', 'staged', 'archive', 'quarantine'], write: ['archive', 'quarantine'], delete: ['raw', 'staged'] },
    firestore: true, database: true, secrets: ['database'],
  },
});
