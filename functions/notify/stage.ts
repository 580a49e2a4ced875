import { declareStage } from '../../shared/stage-declaration';

export const notifyStage = declareStage({
  name: 'notify',
  description: "Sends the run's report when all its files are done, and alerts on failures and dead letters.",
  input: 'run-event',
  // Its own topic: ending a run for a dead letter publishes run-complete / run-failed, which notify handles.
  publishesTo: ['notify'],
  maxAttempts: 5,
  backoff: { minSeconds: 30, maxSeconds: 600 },
  ackDeadlineSeconds: 300,
  memory: '256Mi',
  timeoutSeconds: 300,
  maxInstances: 2,
  concurrency: 1,
  // Reads the database only (report queries): with the pipeline's read-only secret when it has one.
  // Deletes in staged/: what a run's transform attempts left behind (cleanup-run.ts). Reads archive/ and
  // quarantine/: where a run's files are by its end, for the destinations that copy them (Drive).
  // 'alerts': the alert webhook's URL, a credential kept as a secret.
  uses: { bucket: { read: ['archive', 'quarantine'], write: [], delete: ['staged'] }, firestore: true, database: true, secrets: ['database-read', 'mail', 'destinations', 'alerts'] },
});
