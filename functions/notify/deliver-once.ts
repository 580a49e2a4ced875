// Claim → deliver → record, for anything notify sends (a report, an alert, a Drive upload): one claim
// per delivery, kept on the run record. The claim is taken only once everything the delivery needs is
// ready (report queries done), so a database outage never holds a claim; it is released when the send
// fails, so the redelivery can send at once; and it expires after a lease longer than the stage's
// timeout, so a sender that died is taken over but a live one is never doubled. The record is written
// after the send: a crash between the two can still repeat a delivery (same deterministic Message-ID;
// Drive finds its own upload by content hash), never lose one.
//
// Where a delivery is recorded (one owner for this fact: sentPath):
//   alertSentAt, failureAlertSentAt  notifications.<key> = at          (the keys runs had before destinations)
//   report-<n>                       notifications.reports.<key> = at
//   anything else                    notifications.deliveries.<key> = { at, ...receipt } or { at, failed }
// Keys are arbitrary strings (a Drive file key, say): every path is a FieldPath, never a dotted string.
import { FieldPath, FieldValue, type Firestore } from '@google-cloud/firestore';
import { randomUUID } from 'node:crypto';
import { errorMessage, isPermanent, PermanentError, TransientError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { runDocument } from '../runtime/firestore-run-store';
import type { RunRecord } from '../runtime/run-record';
import type { DeliveryReceipt } from './destinations/destination';

// Unique on the run and stable across redeliveries: `alertSentAt`, `failureAlertSentAt`,
// `report-<index>`, or a destination's own (`drive-0-<fileKey>`).
export type DeliveryKey = string;

const LEGACY_KEYS: ReadonlySet<string> = new Set(['alertSentAt', 'failureAlertSentAt']);
const REPORT_KEY = /^report-\d+$/;

interface Claim { by: string; at: string }
// What a destination's delivery left on the run: its receipt, or why it can never be made.
export type DeliveryRecord = { at: string; failed?: string } & DeliveryReceipt;
export type StoredRun = RunRecord & {
  notificationClaims?: Record<string, Claim>;
  notifications?: RunRecord['notifications'] & { deliveries?: Record<string, DeliveryRecord> };
};

function sentPath(key: DeliveryKey): FieldPath {
  if (LEGACY_KEYS.has(key)) return new FieldPath('notifications', key);
  if (REPORT_KEY.test(key)) return new FieldPath('notifications', 'reports', key);
  return new FieldPath('notifications', 'deliveries', key);
}

function recordValue(key: DeliveryKey, at: string, receipt: DeliveryReceipt | void): string | DeliveryRecord {
  if (LEGACY_KEYS.has(key) || REPORT_KEY.test(key)) return at;
  return { ...(receipt ?? {}), at };
}

// The record of a delivery on the run: a timestamp for mails, a DeliveryRecord for the others.
export function deliveryRecordOf(run: StoredRun | undefined, key: DeliveryKey): string | DeliveryRecord | undefined {
  const notifications = run?.notifications;
  if (!notifications) return undefined;
  if (LEGACY_KEYS.has(key)) return notifications[key as 'alertSentAt' | 'failureAlertSentAt'];
  if (REPORT_KEY.test(key)) return notifications.reports?.[key];
  return notifications.deliveries?.[key];
}

// Delivered, or settled as failed for good: either way nothing more is owed for the key.
export function wasDelivered(run: RunRecord | undefined, key: DeliveryKey): boolean {
  return Boolean(deliveryRecordOf(run as StoredRun | undefined, key));
}

export interface DeliverOnceOptions {
  firestore: Firestore;
  runId: string;
  key: DeliveryKey;
  // Longer than the stage's timeout: no live attempt can still be sending when the lease runs out.
  leaseMs: number;
  logger: Logger;
  // A permanent failure is recorded as the key's outcome (`{ at, failed }`), so no redelivery tries it
  // again and the run can alert about it once; without, it is given back and thrown, as for mails.
  settlePermanentFailure?: boolean;
}

export type DeliveryOutcome =
  | { outcome: 'delivered'; receipt?: DeliveryReceipt }
  | { outcome: 'already-delivered' }
  | { outcome: 'failed'; error: string };

export async function deliverOnce(options: DeliverOnceOptions, deliver: () => Promise<unknown>): Promise<DeliveryOutcome> {
  const { firestore, runId, key } = options;
  const ref = runDocument(firestore, runId);
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
  if (claim === 'sent') return { outcome: 'already-delivered' };
  if (claim === 'busy') throw new TransientError(`another delivery is sending ${key} for run ${runId}`);

  let receipt: DeliveryReceipt | undefined;
  try {
    receipt = receiptOf(await deliver());
  } catch (error) {
    if (options.settlePermanentFailure && isPermanent(error)) {
      const at = new Date().toISOString();
      const failed: DeliveryRecord = { at, failed: errorMessage(error) };
      await settle(firestore, runId, key, claimant, failed);
      return { outcome: 'failed', error: failed.failed! };
    }
    // Given back at once, so the redelivery does not wait out the lease.
    await release(firestore, runId, key, claimant).catch((releaseError: unknown) =>
      options.logger.warn('delivery claim not released; it expires with its lease', { key, error: (releaseError as Error).message }),
    );
    throw error;
  }
  const at = new Date().toISOString();
  await ref.update(sentPath(key), recordValue(key, at, receipt), claimPath, FieldValue.delete(), 'updatedAt', at);
  return { outcome: 'delivered', ...(receipt ? { receipt } : {}) };
}

// Only plain receipts (a destination's) are kept; a mail's SentMail is not recorded beyond its time.
function receiptOf(value: unknown): DeliveryReceipt | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
  return entries.length > 0 ? Object.fromEntries(entries) as DeliveryReceipt : undefined;
}

async function settle(firestore: Firestore, runId: string, key: DeliveryKey, claimant: string, failed: DeliveryRecord): Promise<void> {
  const ref = runDocument(firestore, runId);
  await firestore.runTransaction(async (tx) => {
    const run = (await tx.get(ref)).data() as StoredRun | undefined;
    if (!run || wasDelivered(run, key)) return;
    if (run.notificationClaims?.[key]?.by === claimant) tx.update(ref, sentPath(key), failed, 'updatedAt', failed.at, new FieldPath('notificationClaims', key), FieldValue.delete());
    else tx.update(ref, sentPath(key), failed, 'updatedAt', failed.at);
  });
}

async function release(firestore: Firestore, runId: string, key: DeliveryKey, claimant: string): Promise<void> {
  const ref = runDocument(firestore, runId);
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
