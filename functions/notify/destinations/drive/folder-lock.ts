// One delivery at a time per Drive folder, across notify instances and runs: a Firestore lease lock in
// `sluice-drive-locks/<folderId>`. Drive has no unique constraint, so "look up by content hash, then
// create" is only safe while nobody else can create in the folder between the two; the same goes for
// "find the subfolder by name, else create it". The holder renews its lease while it works (a 200 MB
// upload takes longer than one lease), so a live holder keeps it and a dead one loses it after a lease.
// A waiter polls for a bounded time, then gives up with a TransientError: the notify message is
// retried, and by then the holder is done (the file found by its hash) or dead (lease expired).
import type { Firestore } from '@google-cloud/firestore';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { TransientError } from '../../../../shared/errors';

export const DRIVE_LOCKS_COLLECTION = 'sluice-drive-locks';

export interface FolderLockOptions {
  // How long a holder that stopped renewing keeps the lock.
  leaseMs?: number;
  // How long to wait for a busy folder before giving the message back.
  waitMs?: number;
}

interface LockDoc { holder: string; expiresAt: number }

export async function withFolderLock<T>(firestore: Firestore, folderId: string, options: FolderLockOptions, work: () => Promise<T>): Promise<T> {
  const leaseMs = options.leaseMs ?? 60_000;
  const waitMs = options.waitMs ?? 60_000;
  const ref = firestore.collection(DRIVE_LOCKS_COLLECTION).doc(folderId);
  const holder = randomUUID();
  const take = () => firestore.runTransaction(async (tx) => {
    const held = (await tx.get(ref)).data() as LockDoc | undefined;
    if (held && held.holder !== holder && held.expiresAt > Date.now()) return false;
    tx.set(ref, { holder, expiresAt: Date.now() + leaseMs } satisfies LockDoc);
    return true;
  });
  const deadline = Date.now() + waitMs;
  for (let pause = 50; !(await take()); pause = Math.min(pause * 2, 1_000)) {
    if (Date.now() + pause > deadline) throw new TransientError(`Drive folder ${folderId} is busy with another delivery; trying again later`);
    await delay(pause);
  }
  let lost = false;
  const renew = setInterval(() => {
    void firestore.runTransaction(async (tx) => {
      const held = (await tx.get(ref)).data() as LockDoc | undefined;
      if (held?.holder !== holder) { lost = true; return; }
      tx.update(ref, { expiresAt: Date.now() + leaseMs });
    }).catch(() => { /* the next renewal tries again; the lease covers a missed one */ });
  }, Math.max(Math.floor(leaseMs / 3), 10));
  renew.unref();
  try {
    const result = await work();
    if (lost) throw new TransientError(`the lock on Drive folder ${folderId} was lost while delivering; checking again`);
    return result;
  } finally {
    clearInterval(renew);
    await firestore.runTransaction(async (tx) => {
      const held = (await tx.get(ref)).data() as LockDoc | undefined;
      if (held?.holder === holder) tx.delete(ref);
    }).catch(() => { /* expires with its lease */ });
  }
}
