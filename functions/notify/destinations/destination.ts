// The seam for what a run delivers: report mail, alert mail, a Drive upload, and whatever comes next.
// A destination only says what it owes for a run (one Delivery per thing to send, each with a key
// unique on the run) and how to send one; claim → deliver → record is deliver-once.ts's, written
// once, so every destination inherits notify's exactly-once handling: a delivery is claimed on the
// run record, released when the send fails, recorded after it succeeded, and a crash between send
// and record repeats it only where the destination cannot tell it already has it (a mail resent with
// the same Message-ID; Drive finds its own upload by content hash and records that instead).
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import type { Logger } from '../../../shared/logger';
import type { Pipeline } from '../../../shared/pipeline-definition';
import type { SecretReader } from '../../runtime/context';
import type { FileRecord, RunRecord } from '../../runtime/run-record';
import type { DestinationConfig, DestinationKind } from './destination-configs';

// What a destination keeps about one delivery on the run record (`notifications.deliveries.<key>`),
// beside when it happened: where the thing is now (a Drive file id and link, a mail's Message-ID).
export type DeliveryReceipt = Record<string, string | number | boolean>;

export interface Delivery {
  // Unique on the run and stable across redeliveries ('report-0', 'drive-0-<fileKey>').
  key: string;
  // Printable, for logs and the run record ("report 'daily-sales'", "Drive upload of 20261130/a.csv").
  describe: string;
  // Slow reads the delivery needs (a report's queries), run by deliver-all before the claim and only
  // while the key is not yet delivered, so an outage never holds a claim. Optional.
  prepare?(): Promise<void>;
  // Everything needing a database or a slow read is done before the claim, in prepare or in
  // deliveriesFor, so an outage never holds a claim. Throw PermanentError when it can never succeed.
  deliver(): Promise<DeliveryReceipt | void>;
}

export interface DestinationRuntime {
  pipeline: Pipeline;
  runId: string;
  run: RunRecord;
  files: FileRecord[];
  firestore: Firestore;
  storage: Storage;
  bucket: string;
  secrets: SecretReader;
  logger: Logger;
  // Local cloud only: SLUICE_LOCAL_ENDPOINTS (each destination parses its own entry).
  localEndpoints: Readonly<Record<string, unknown>>;
}

export interface Destination<C extends DestinationConfig = DestinationConfig> {
  kind: C['kind'];
  // The deliveries this destination (the pipeline's `destinations[index]`) owes the ended run.
  deliveriesFor(config: C, index: number, runtime: DestinationRuntime): Promise<Delivery[]>;
}

export type Destinations = { [K in DestinationKind]: Destination<Extract<DestinationConfig, { kind: K }>> };
