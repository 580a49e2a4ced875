// Claim → deliver → record, for anything notify sends (a report, an alert): one claim per delivery, kept
// on the run record. The claim is taken only once everything the delivery needs is ready (report
// queries done), so a database outage never holds a claim; it is released when the send fails, so the
// redelivery can send at once; and it expires after a lease longer than the stage's timeout, so a
// sender that died is taken over but a live one is never doubled. The record is written after the
// send: a crash between the two can still repeat a delivery (same deterministic Message-ID), never
// lose one.
import { FieldPath, FieldValue, type Firestore } from '@google-cloud/firestore';
import { randomUUID } from 'node:crypto';
import { PermanentError, TransientError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { RUNS_COLLECTION, type RunRecord } from '../runtime/run-record';

// `alertSentAt`, `failureAlertSentAt`, or `report-<index>` (one per declared report).
export type DeliveryKey = 'alertSentAt' | 'failureAlertSentAt' | `report-${number}`;

interface Claim { by: string; at: string }
type StoredRun = RunRecord & { notificationClaims?: Record<string, Claim> };

// Where the record of a delivery lives on the run: notifications.<key>, reports under notifications.reports.
function sentPath(key: DeliveryKey): FieldPath {
  return key.startsWith('report-') ? new FieldPath('notifications', 'reports', key) : new FieldPath('notifications', key);
}

export function wasDelivered(run: RunRecord | undefined, key: DeliveryKey): boolean {
  if (!run?.notifications) return false;
  if (key.startsWith('report-')) return Boolean(run.notifications.reports?.[key]);
  return Boolean(run.notifications[key as 'alertSentAt' | 'failureAlertSentAt']);
}

export interface DeliverOnceOptions {
  firestore: Firestore;
  runId: string;
  key: DeliveryKey;
  // Longer than the stage's timeout: no live attempt can still be sending when the lease runs out.
  leaseMs: number;
  logger: Logger;
}

export type DeliveryOutcome = 'delivered' | 'already-delivered';

export async function deliverOnce(options: DeliverOnceOptions, deliver: () => Promise<unknown>): Promise<DeliveryOutcome> {
  const { firestore, runId, key } = options;
  const ref = firestore.collection(RUNS_COLLECTION).doc(runId);
  const claimant = randomUUID();
  const claimPath = new FieldPath('notificationClaims', key);

  const claim = await firestore.runTransaction(async (tx) => {
    const run = (await tx.get(ref)).data() as StoredRun | undefined;
    if (!run) throw new PermanentError(`run ${runId} has no record`);
    if (wasDelivered(run, key)) return 'sent' as const;
    const held = run.notificationClaims?.[key];
    if (held && Date.now() - Date.parse(held.at) < options.leaseMs) return 'busy' as const;
    tx.update(ref, claimPath, { by: claimant, at: new Date().toISOString() });
    return 'claimed' as const;
  });
  if (claim === 'sent') return 'already-delivered';
  if (claim === 'busy') throw new TransientError(`another delivery is sending ${key} for run ${runId}`);

  try {
    await deliver();
  } catch (error) {
    // Given back at once, so the redelivery does not wait out the lease.
    await release(firestore, runId, key, claimant).catch((releaseError: unknown) =>
      options.logger.warn('delivery claim not released; it expires with its lease', { key, error: (releaseError as Error).message }),
    );
    throw error;
  }
  const at = new Date().toISOString();
  await ref.update(sentPath(key), at, claimPath, FieldValue.delete(), 'updatedAt', at);
  return 'delivered';
}

async function release(firestore: Firestore, runId: string, key: DeliveryKey, claimant: string): Promise<void> {
  const ref = firestore.collection(RUNS_COLLECTION).doc(runId);
  await firestore.runTransaction(async (tx) => {
    const run = (await tx.get(ref)).data() as StoredRun | undefined;
    if (run?.notificationClaims?.[key]?.by === claimant) tx.update(ref, new FieldPath('notificationClaims', key), FieldValue.delete());
  });
}

// The lease for a stage: its timeout plus a minute, so no live attempt can still be sending when it runs
// out. Notify's redeliveries within it are refused as busy and may all be spent (locally, with short
// backoffs, they are); the watchdog then re-drives the run's notification once the lease is over
// (sweep.ts), so a mail whose sender died is late, never lost.
export function deliveryLeaseMs(timeoutSeconds: number): number {
  return (timeoutSeconds + 60) * 1000;
}
