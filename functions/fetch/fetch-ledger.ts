// The fetch ledger: one Firestore document per source file version, naming the run that owns it.
// Claims are taken in transactions, so however many deliveries of however many triggers race, each
// file version is fetched by exactly one run. The owning run's redeliveries find their own claim and
// resume; every other run records the file as skipped.
import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { ObjectRef } from '../../shared/messages';
import { FETCH_LEDGER_COLLECTION } from '../runtime/run-record';

export interface SourceFileVersion {
  pipeline: string;
  // Full remote path on the SFTP server.
  path: string;
  size: number;
  mtimeMs: number;
  // Hex SHA-256 of the content, with content change detection: then it, not the mtime, names the version.
  sha256?: string;
}

export interface LedgerEntry {
  pipeline: string;
  runId: string;
  path: string;
  size: number;
  mtime: string;
  sha256?: string;
  claimedAt: string;
  // Refreshed by every attempt of the owning run that reaches this file: how stale claims are told apart.
  attemptAt: string;
  // The raw object the owner writes to (its generation once uploaded).
  object: string;
  // Set once the owner's object was seen in the bucket, by the owner after its upload or by anyone who
  // found it later (in raw/, or moved on to archive/ or quarantine/): a settled claim is never stale.
  uploadedAt?: string;
  // Generation of the object where it was seen, and that name when it was not `object` (moved on).
  generation?: string;
  seenAs?: string;
  // Set when the owner refused the file (a name the layout cannot hold): settled, never stale, never fetched.
  refusedAt?: string;
  refusal?: string;
  takenOverFrom?: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'ours'; entry: LedgerEntry }
  | { kind: 'taken'; entry: LedgerEntry }
  // Owned by another run that never finished uploading it and has not touched it for a long time
  // (its trigger was dead-lettered): the caller checks for that run's object, then may take it over.
  | { kind: 'stale'; entry: LedgerEntry };

// A new version is a new file: the vendor re-exported it. By metadata, a version is its size and
// mtime; by content, its bytes' hash (a file touched without a change is the same version). The
// metadata form is the one ledgers kept before content detection existed, so it must not change.
export function fileIdentity(file: SourceFileVersion): string {
  const version = file.sha256 !== undefined ? `sha256:${file.sha256}` : `${file.size}|${file.mtimeMs}`;
  return createHash('sha256').update(`${file.pipeline}|${file.path}|${version}`).digest('hex');
}

export interface ClaimInput extends SourceFileVersion {
  identity: string;
  runId: string;
  object: string;
}

export interface ClaimTiming {
  now: Date;
  // A claim of another run not uploaded and not attempted for this long is stale.
  staleAfterMs: number;
}

function ledgerDoc(db: Firestore, identity: string) {
  return db.collection(FETCH_LEDGER_COLLECTION).doc(identity);
}

export async function claimFile(db: Firestore, input: ClaimInput, timing: ClaimTiming): Promise<ClaimResult> {
  const doc = ledgerDoc(db, input.identity);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const at = timing.now.toISOString();
    if (!snap.exists) {
      const entry: LedgerEntry = {
        pipeline: input.pipeline,
        runId: input.runId,
        path: input.path,
        size: input.size,
        mtime: new Date(input.mtimeMs).toISOString(),
        ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
        claimedAt: at,
        attemptAt: at,
        object: input.object,
      };
      tx.create(doc, entry);
      return { kind: 'claimed' } as const;
    }
    const entry = snap.data() as LedgerEntry;
    if (entry.runId === input.runId) {
      tx.update(doc, { attemptAt: at });
      return { kind: 'ours', entry } as const;
    }
    const idleMs = timing.now.getTime() - Date.parse(entry.attemptAt);
    if (entry.uploadedAt === undefined && entry.refusedAt === undefined && idleMs > timing.staleAfterMs) return { kind: 'stale', entry } as const;
    return { kind: 'taken', entry } as const;
  });
}

// Takes a stale claim, but only if nothing touched it since `seen` was read: an attempt of the old
// owner that woke up in between refreshes attemptAt and keeps its file.
export async function takeOverClaim(db: Firestore, input: ClaimInput, seen: LedgerEntry, now: Date): Promise<ClaimResult> {
  const doc = ledgerDoc(db, input.identity);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const at = now.toISOString();
    if (!snap.exists) {
      tx.create(doc, { ...seen, runId: input.runId, claimedAt: at, attemptAt: at, object: input.object, takenOverFrom: seen.runId });
      return { kind: 'claimed' } as const;
    }
    const entry = snap.data() as LedgerEntry;
    if (entry.runId === input.runId) return { kind: 'ours', entry } as const;
    if (entry.runId !== seen.runId || entry.attemptAt !== seen.attemptAt || entry.uploadedAt !== undefined || entry.refusedAt !== undefined) {
      return { kind: 'taken', entry } as const;
    }
    tx.update(doc, { runId: input.runId, claimedAt: at, attemptAt: at, object: input.object, takenOverFrom: seen.runId });
    return { kind: 'claimed' } as const;
  });
}

// Records that the owner's object is in the bucket: from now on the claim is never stale. `found` is
// where it was seen: the raw object, or its archived or quarantined copy.
export async function markUploaded(db: Firestore, identity: string, runId: string, found: ObjectRef, now: Date): Promise<void> {
  const doc = ledgerDoc(db, identity);
  await db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const entry = snap.data() as LedgerEntry | undefined;
    if (!entry || entry.runId !== runId || entry.uploadedAt !== undefined) return;
    tx.update(doc, { uploadedAt: now.toISOString(), generation: found.generation, ...(found.object !== entry.object ? { seenAs: found.object } : {}) });
  });
}

// Records that the owner refused this file version for good (it failed the file on its run), so
// later runs skip it instead of failing it again every day it stays on the server.
export async function markRefused(db: Firestore, identity: string, runId: string, reason: string, now: Date): Promise<void> {
  const doc = ledgerDoc(db, identity);
  await db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const entry = snap.data() as LedgerEntry | undefined;
    if (!entry || entry.runId !== runId || entry.refusedAt !== undefined) return;
    tx.update(doc, { refusedAt: now.toISOString(), refusal: reason });
  });
}

// Gives a claim back (the run could not use this version after all), so a later run fetches it.
export async function releaseClaim(db: Firestore, identity: string, runId: string): Promise<void> {
  const doc = ledgerDoc(db, identity);
  await db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const entry = snap.data() as LedgerEntry | undefined;
    if (entry && entry.runId === runId && entry.uploadedAt === undefined && entry.refusedAt === undefined) tx.delete(doc);
  });
}
