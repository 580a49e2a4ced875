// What a stage handler is given: everything it touches comes through here, so handlers never read
// process.env or create clients of their own, and tests can hand in their own.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import type { Pool } from 'pg';
import type { Logger } from '../../shared/logger';
import type { ObjectRef, StageMessage, TriggerMessage } from '../../shared/messages';
import type { Pipeline } from '../../shared/pipeline-definition';
import type { StageDeclaration, StageName } from '../../shared/stage-declaration';
import type { Actor } from './run-record';
import type { RunStore } from './run-store';

// superseded: an older version of a source file that arrived after a newer one was loaded (not applied).
// expanded: an archive (.gz, .zip) whose members became files of the run (functions/transform/archives/).
// cancelled: its run was cancelled before the file's next stage began.
export type FileOutcome = 'loaded' | 'skipped' | 'superseded' | 'quarantined' | 'failed' | 'expanded' | 'cancelled';

// A member of an archive, as the archive's expansion records it on the run.
export interface ArchiveMemberRecord {
  fileKey: string;
  // The member's file path in the run (`<archive path>/<member path>`).
  name: string;
}

// What the run record keeps about how a file ended.
export interface FileEnding {
  stage?: StageName;
  error?: string;
  row?: number;
  // Where a quarantined file now is.
  quarantinedAs?: string;
}

export interface FileStageReport {
  rows?: number;
  // Anything else worth showing on the run record (object names, table, column changes...).
  details?: Record<string, unknown>;
}

export interface RunStart {
  pipeline: string;
  trigger: TriggerMessage['trigger'];
  messageId: string;
  // The export dates this run looks at (YYYY-MM-DD).
  dates: string[];
  // The date the trigger named (the run's logical date; default: the newest of `dates`).
  logicalDate?: string;
  // Who started it, for triggers other than schedule and push (those are 'scheduler' and 'push').
  actor?: Actor;
}

// Where a run's progress is written. One Firestore document per run, one per file under it.
export interface RunRecorder {
  // Creates the run record if it does not exist yet (a redelivered trigger finds it and goes on).
  // Says how many files an earlier delivery of its trigger already told the run it has (null: none did).
  startRun(runId: string, start: RunStart): Promise<{ expectedFiles: number | null }>;
  // Fetch says how many new files the run has. Together with finishFile this decides completion:
  // whichever of them sees the last file end gets `runComplete: true`, exactly once.
  setExpectedFiles(runId: string, count: number): Promise<{ runComplete: boolean }>;
  // What the source did not deliver that the run should say (SourceSession.warnings): set, not
  // appended, so a redelivery records the same list once.
  recordWarnings(runId: string, warnings: string[]): Promise<void>;
  // A file the source still offers but an earlier run already fetched: recorded, not expected.
  recordSkipped(runId: string, fileKey: string, file: { name: string; reason: string; size?: number }): Promise<void>;
  // Marks a stage attempt on a file as started (attempts + 1, startedAt). `stagedToken` names the staged
  // objects this attempt is about to write, recorded first so the run's end can remove what a killed
  // attempt leaves behind without listing the bucket.
  stageStarted(runId: string, fileKey: string, stage: StageName, file?: { name?: string; raw?: ObjectRef; stagedToken?: string }): Promise<void>;
  // Marks it done with its counts.
  stageSucceeded(runId: string, fileKey: string, stage: StageName, report?: FileStageReport): Promise<void>;
  // Records an error on the file's stage without ending the file (a transient failure, to be retried).
  stageFailed(runId: string, fileKey: string, stage: StageName, error: string): Promise<void>;
  // Ends a file. Idempotent: a second call for a file already ended changes nothing. When this ends the
  // run's last file, exactly one caller gets `runComplete: true` and must publish the run-complete event.
  finishFile(runId: string, fileKey: string, outcome: FileOutcome, details?: FileEnding): Promise<{ runComplete: boolean }>;
  // Ends an archive's file as 'expanded' and adds its members to the run's expected files, in one
  // transaction, before any member object exists: the run cannot complete between the archive ending
  // and its members being counted. Idempotent: a file already ended changes nothing (and adds nothing).
  expandFile(runId: string, fileKey: string, members: ArchiveMemberRecord[]): Promise<void>;
}

export interface SecretReader {
  // The secret's current value. Never log it, never put it in an error.
  read(name: string): Promise<string>;
  // Stores a new value as the secret's next version: an OAuth refresh token Google rotated. Present
  // only where the stage may write that secret (rotatedSecretsForStage in shared/stage-secrets.ts).
  rotate?(name: string, value: string): Promise<void>;
}

export interface StageContext {
  pipeline: Pipeline;
  stage: Readonly<StageDeclaration>;
  logger: Logger;
  messageId: string;
  // The bucket holding the raw/staged/archive/quarantine areas.
  bucket: string;
  storage: Storage;
  pubsub: PubSub;
  firestore: Firestore;
  secrets: SecretReader;
  // The one owner of run state: the stages' RunRecorder part, and the reads, ending and controls
  // notify and the watchdog use (run-store.ts).
  runs: RunStore;
  // The pipeline's PostgreSQL pool, created on first use from its database secret.
  database(): Promise<Pool>;
  // Publishes a message to another stage of this pipeline; resolves with the message id.
  // `attributes` add to the ones the runtime sets (a re-transform notice needs Cloud Storage's).
  publish(stage: StageName, message: StageMessage, attributes?: Record<string, string>): Promise<string>;
  // Moves a file to the quarantine area with its reason, records that on the run and ends the file;
  // publishes run-complete when it was the run's last file.
  quarantine(input: QuarantineInput): Promise<void>;
  // Tells the run how many files it has and, when all of them already ended, publishes run-complete.
  setExpectedFiles(runId: string, count: number): Promise<void>;
  // Marks the whole run failed (a failure no file can get past, e.g. the source refusing us) and
  // publishes a run-failed event so the notify stage alerts. Idempotent. `stage` is the stage the
  // failure happened in, this one unless said: notify failing a run for a message another stage gave
  // up on (a dead letter) names that stage, so the run record and the alert point at the right place.
  failRun(runId: string, error: string, stage?: StageName): Promise<void>;
  // Local cloud only: where the stand-ins of outside services are (SLUICE_LOCAL_ENDPOINTS), one entry
  // per connector kind, each parsed by its connector. Empty in the cloud.
  localEndpoints: Readonly<Record<string, unknown>>;
  // Ends a file and, when it was the run's last, publishes run-complete.
  finishFile(runId: string, fileKey: string, outcome: FileOutcome, details?: FileEnding): Promise<void>;
}

export interface QuarantineInput {
  runId: string;
  fileKey: string;
  // The object to quarantine (normally the raw file as fetched); objects to delete with it (a staged copy).
  object: ObjectRef;
  alsoDelete?: ObjectRef[];
  reason: string;
  // Which row of the file was at fault, when one was (1-based, header excluded).
  row?: number;
}

// The handler a stage exports: the decoded Pub/Sub message in, nothing out. Throw PermanentError for a
// file or message that can never succeed (after quarantining what needs it), anything else to retry.
export type StageHandler = (ctx: StageContext, message: IncomingMessage) => Promise<void>;

export interface IncomingMessage {
  messageId: string;
  publishTime?: string;
  attributes: Record<string, string>;
  // The message data, decoded from base64 to bytes.
  data: Buffer;
  // How many times Pub/Sub has tried to deliver it (when it says).
  deliveryAttempt?: number;
}
