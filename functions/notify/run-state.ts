// Run reads for the notify modules not yet moved to ctx.runs (the RunStore, firestore-run-store.ts):
// dead-letter.ts and sweep.ts, whose owners move them. Nothing else may import this file.
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreRunStore } from '../runtime/firestore-run-store';
import type { FileRecord, RunRecord } from '../runtime/run-record';

export const readRun = (firestore: Firestore, runId: string): Promise<RunRecord | undefined> => createFirestoreRunStore(firestore).getRun(runId);
export const readFiles = (firestore: Firestore, runId: string): Promise<FileRecord[]> => createFirestoreRunStore(firestore).getFiles(runId);
export const readFile = (firestore: Firestore, runId: string, fileKey: string): Promise<FileRecord | undefined> => createFirestoreRunStore(firestore).getFile(runId, fileKey);
