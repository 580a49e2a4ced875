// The seam every source plugs into. Fetch owns what is the same for all of them — the fetch ledger's
// claims, the create-only copy into raw/, the run record, the file count, retries and failing the run
// — and a connector owns only what differs: how to reach the source, what a run's items are, how to
// read one, and what to tell the source once an item is safely staged (Gmail: a label).
//
// An item's ledger identity is sha256(pipeline | key | version): `key` names the thing across runs
// (SFTP: the remote path; Gmail: message id + attachment), `version` which state of it (SFTP: size
// and mtime, or the content hash). A new version is fetched again; the same version never twice.
import type { Readable } from 'node:stream';
import type { Logger } from '../../../shared/logger';
import type { Source, SourceKind } from './source-configs';
import type { Firestore } from '@google-cloud/firestore';
import type { SecretReader } from '../../runtime/context';

export interface SourceItem {
  key: string;
  version: string;
  // Where the file goes in the run: `<yyyyMMdd>/<file name>` (the date directory keeps two days' files
  // of the same name apart). The name must already be safe for an object name (sanitize-file-name.ts);
  // fetch still checks it and refuses the item with the reason if the layout cannot hold it.
  path: string;
  // Printable description of where it came from, for the run record and logs ("/exports/x/a.csv",
  // "gmail message 18c… attachment 'prices.xlsx'"). Never holds a secret.
  source: string;
  // Bytes when known before reading (SFTP listing, Gmail attachment size); checked against the copy.
  // Unknown: fetch reads the item once to count and hash it before the upload (memory bounded).
  size?: number;
  // The source's modification time (ms since the epoch) when it has one (SFTP: the mtime; Gmail: the
  // message's internalDate). Stamped as sluiceSourceMtime: load orders versions of one key by it, and
  // a copy already under the run's name is the same version when size and this time agree.
  modifiedMs?: number;
  // Hex SHA-256 of the bytes when the connector hashed them to name the version (SFTP with
  // changeDetection 'content'): the copy must hash to it, or it is not finalized.
  sha256?: string;
  // Extra metadata stamped on the raw object (the original file name, the message id...). Keys are
  // lower-case [a-z0-9-]; fetch prefixes them with `sluice-src-` (copy-to-raw.ts).
  stamp?: Record<string, string>;
  // Import rules (by name) this file may feed; empty or absent: any rule whose `match` fits. Stamped
  // as `sluice-import-rules: a,b`; transform lets only those rules take the file, and a name none of
  // them fits is quarantined as "no import rule matches" (functions/transform/match-import-rule.ts).
  imports?: string[];
  // Set when the connector already knows the item cannot be fetched (over a size cap): recorded on
  // the run as skipped with this reason, never read and never claimed (a later run with a higher cap
  // still fetches it).
  skip?: string;
  // A fresh stream of the item's bytes each call (a retry reopens); errors arrive on the stream.
  open(): Promise<Readable>;
}

// Everything a connector may use at run time; nothing else reaches it.
export interface SourceRuntime {
  pipeline: string;
  runId: string;
  // The export dates the run looks at (YYYY-MM-DD, in the schedule's zone), from the trigger and the
  // source's own window settings (windowOf below).
  dates: string[];
  // The pipeline's time zone (the schedule's, else UTC).
  timeZone: string;
  secrets: SecretReader;
  // A connector's own durable state (Gmail's history id), under `sluice-source-state/<pipeline>`.
  firestore: Firestore;
  logger: Logger;
  now: () => Date;
  // Local cloud only: the connector's entry of SLUICE_LOCAL_ENDPOINTS (its own shape, parsed by it).
  localEndpoints: Readonly<Record<string, unknown>>;
}

// What fetch tells the connector when every listed item was dealt with on this attempt.
export interface ListingOutcome {
  // Items this run owns and whose raw object is durably written (now or by an earlier delivery; or
  // an older version of the item that an earlier delivery of this run copied under the same name).
  staged: SourceItem[];
  // Items another run already fetched, or recorded as skipped (`skip`).
  skipped: SourceItem[];
  // Items refused (a name the layout cannot hold, Cloud Storage refusing it): failed on the run.
  refused: SourceItem[];
}

export interface SourceSession {
  // The run's items, in a stable order. A redelivery of the same run must list at least every item
  // the earlier delivery claimed (fetch finds its own claims and resumes), so a connector with a
  // cursor (Gmail's history id) keeps the cursor the run started from until the run has listed.
  list(): AsyncIterable<SourceItem>;
  // After all items are dealt with and before the run is told its file count: settle the source
  // (label mail, advance a cursor). Must be idempotent: a crash before it ends is repeated by the
  // redelivery, and a crash after it by nothing (the items are staged and their claims settled).
  // Whatever it throws is treated as transient (a TransientError wrapping it): the trigger is
  // redelivered, lists again, finds every item claimed by this run and calls finish again; on the
  // last attempt the run fails. It is not called when listing or an item failed the attempt.
  finish?(outcome: ListingOutcome): Promise<void>;
  close(): Promise<void>;
  // What the listing found missing that the run should say (an export date whose directory is absent
  // or holds no matching file): recorded on the run and shown in its report, so "nothing new" is never
  // silent about a source that did not deliver. Read after finish; the same on every delivery.
  warnings?(): string[];
}

// What a source action may use (see SourceConnector.actions). No run: an action stages nothing.
export interface SourceActionRuntime {
  pipeline: string;
  // The push topic the action names (from the scheduler job's payload), as the full resource name
  // projects/<project>/topics/<id> that e.g. Gmail's users.watch takes; absent when it names none.
  topic?: string;
  secrets: SecretReader;
  firestore: Firestore;
  logger: Logger;
  now: () => Date;
  localEndpoints: Readonly<Record<string, unknown>>;
}

// Work for the source that is not a run, by name: the source's topology.ts schedules it (a
// `sluice.source-action` message to the fetch topic) and fetch calls it (functions/fetch/source-actions.ts).
// Must be idempotent: the message is delivered at least once. Throw PermanentError when retrying cannot help.
export type SourceAction<S extends Source = Source> = (source: S, runtime: SourceActionRuntime) => Promise<void>;

// What a health probe may use (the ops API's /health/detailed): no run, no dates, no topic.
export type SourceProbeRuntime = Omit<SourceActionRuntime, 'topic'>;

export interface SourceConnector<S extends Source = Source> {
  kind: S['kind'];
  // Whether the source can be reached and signed in to, touching nothing (SFTP: connect and close;
  // Gmail: users.getProfile). Throws when it cannot, with a message that holds no secret. A kind
  // without it is reported as not probed.
  probe?(source: S, runtime: SourceProbeRuntime): Promise<void>;
  // The actions its topology schedules (Gmail: 'renew-watch'). A kind without any leaves it out.
  actions?: Readonly<Record<string, SourceAction<S>>>;
  // The run's export dates from the trigger's date (or today) and the source's window settings.
  // A source without dates (Gmail) returns [the date] so the run record still says which day it is.
  windowOf(source: S, at: { date?: string; now: Date; timeZone: string }): string[];
  connect(source: S, runtime: SourceRuntime): Promise<SourceSession>;
}

export type SourceConnectors = { [K in SourceKind]: SourceConnector<Extract<Source, { kind: K }>> };
