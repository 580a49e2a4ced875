// The fetch ledger: one Firestore document per source item version, naming the run that owns it.
// Claims are taken in transactions, so however many deliveries of however many triggers race, each
// item version is fetched by exactly one run. The owning run's redeliveries find their own claim and
// resume; every other run records the item as skipped. The ledger knows items only by the key and
// version their connector gives (functions/fetch/sources/source-connector.ts), never by a path.
import { createHash } from 'node:crypto';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import type { ObjectRef } from '../../shared/messages';
import { FETCH_LEDGER_COLLECTION } from '../runtime/run-record';

export interface ItemVersion {
  pipeline: string;
  // The item across runs (SFTP: the remote path; Gmail: message and attachment).
  key: string;
  // Which state of it (SFTP: `<size>|<mtimeMs>`, or `sha256:<hex>` by content).
  version: string;
}

export interface LedgerEntry {
  pipeline: string;
  runId: string;
  // Entries written before source connectors (SFTP only) lack key, version and source. `path` is
  // the key under the name every entry has had (for SFTP the remote path), so queries by it still work.
  key?: string;
  version?: string;
  source?: string;
  path: string;
  size?: number;
  mtime?: string;
  sha256?: string;
  claimedAt: string;
  // Refreshed by every attempt of the owning run that reaches this item: how stale claims are told apart.
  attemptAt: string;
  // The raw object the owner writes to (its generation once uploaded).
  object: string;
  // Set once the owner's object was seen in the bucket, by the owner after its upload or by anyone who
  // found it later (in raw/, or moved on to archive/ or quarantine/): a settled claim is never stale.
  uploadedAt?: string;
  // Generation of the object where it was seen, and that name when it was not `object` (moved on).
  generation?: string;
  seenAs?: string;
  // Set when the owner refused the item (a name the layout cannot hold): settled, never stale, never fetched.
  refusedAt?: string;
  refusal?: string;
  takenOverFrom?: string;
  // Set when an operator's rerun released the claim on purpose (releaseClaimForRerun): who, when, and
  // the run that had it before.
  releasedBy?: string;
  releasedAt?: string;
  releasedFrom?: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'ours'; entry: LedgerEntry }
  | { kind: 'taken'; entry: LedgerEntry }
  // Owned by another run that never finished uploading it and has not touched it for a long time
  // (its trigger was dead-lettered): the caller checks for that run's object, then may take it over.
  | { kind: 'stale'; entry: LedgerEntry };

// The document id of one item version. For SFTP this is, byte for byte, the identity ledgers had
// before source connectors (pipeline | remote path | size|mtimeMs or sha256:hex), so their entries
// stay valid: test/fetch/fetch-ledger.test.ts pins one.
export function itemIdentity(item: ItemVersion): string {
  return createHash('sha256').update(`${item.pipeline}|${item.key}|${item.version}`).digest('hex');
}

export interface ClaimInput extends ItemVersion {
  identity: string;
  runId: string;
  object: string;
  // Printable origin (run record, logs); never a secret.
  source: string;
  size?: number;
  modifiedMs?: number;
  sha256?: string;
}

export interface ClaimTiming {
  now: Date;
  // A claim of another run not uploaded and not attempted for this long is stale.
  staleAfterMs: number;
}

function ledgerDoc(db: Firestore, identity: string) {
  return db.collection(FETCH_LEDGER_COLLECTION).doc(identity);
}

function newEntry(input: ClaimInput, at: string): LedgerEntry {
  return {
    pipeline: input.pipeline,
    runId: input.runId,
    key: input.key,
    version: input.version,
    source: input.source,
    path: input.key,
    ...(input.size !== undefined ? { size: input.size } : {}),
    ...(input.modifiedMs !== undefined ? { mtime: new Date(input.modifiedMs).toISOString() } : {}),
    ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
    claimedAt: at,
    attemptAt: at,
    object: input.object,
  };
}

export async function claimItem(db: Firestore, input: ClaimInput, timing: ClaimTiming): Promise<ClaimResult> {
  const doc = ledgerDoc(db, input.identity);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const at = timing.now.toISOString();
    if (!snap.exists) {
      tx.create(doc, newEntry(input, at));
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
// owner that woke up in between refreshes attemptAt and keeps its item.
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

// Records that the owner refused this item version for good (it failed the file on its run), so
// later runs skip it instead of failing it again every day it stays at the source.
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

// The entry of an item version as it stands, read without claiming anything: a dry run's "would this
// be fetched", and a cancelled run telling the items it already owns from those it must leave alone.
export async function peekClaim(db: Firestore, identity: string): Promise<LedgerEntry | undefined> {
  const snap = await ledgerDoc(db, identity).get();
  return snap.exists ? (snap.data() as LedgerEntry) : undefined;
}

// The entries a run owns (a rerun releases the parent's claims of the files it selects).
export async function claimsOfRun(db: Firestore, pipeline: string, runId: string): Promise<Array<{ identity: string; entry: LedgerEntry }>> {
  const snap = await db.collection(FETCH_LEDGER_COLLECTION).where('pipeline', '==', pipeline).where('runId', '==', runId).get();
  return snap.docs.map((doc) => ({ identity: doc.id, entry: doc.data() as LedgerEntry }));
}

// An operator's rerun releasing a claim on purpose: the entry passes from the run that owns it to the
// rerun, as an unfinished claim of the rerun (no upload, no refusal), so the rerun's fetch copies the
// item again and no other run takes it in between. Who released it, when and from which run stays on
// the entry. False when the entry is no longer that run's (then nothing changes).
export async function releaseClaimForRerun(db: Firestore, identity: string, release: { from: string; to: string; object: string; actor: string; now: Date }): Promise<boolean> {
  const doc = ledgerDoc(db, identity);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const entry = snap.data() as LedgerEntry | undefined;
    if (!entry || entry.runId !== release.from) return false;
    const at = release.now.toISOString();
    tx.update(doc, {
      runId: release.to, object: release.object, claimedAt: at, attemptAt: at,
      uploadedAt: FieldValue.delete(), generation: FieldValue.delete(), seenAs: FieldValue.delete(),
      refusedAt: FieldValue.delete(), refusal: FieldValue.delete(),
      releasedBy: release.actor, releasedAt: at, releasedFrom: release.from,
    });
    return true;
  });
}
