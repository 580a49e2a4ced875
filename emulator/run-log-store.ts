// The local cloud's stand-in for Cloud Logging, as far as the ops API reads it (GET /runs/{id}/logs):
// every log line of the local deployment's functions (in-process, or re-emitted from the bundles'
// processes) is appended to a JSONL file under the data dir, and the lines of each run are kept in
// memory by runId for the RunLogSource. Both are bounded: the file is rotated once (functions.1.jsonl)
// when it grows past maxFileBytes; memory keeps the most recent maxRuns runs, each its last
// maxEntriesPerRun lines (the end of a run, where its error is, matters most).
import fs from 'node:fs';
import path from 'node:path';
import type { LogEntry, LogPage } from '../functions/ops/api-schemas';
import type { RunLogSource } from '../functions/ops/ops-deps';
import type { LogSink } from '../shared/logger';

export interface RunLogStoreOptions {
  // The JSONL file; started empty (the local Firestore emulator starts empty too, so older runs'
  // lines would belong to runs that no longer exist).
  file: string;
  maxRuns?: number;
  maxEntriesPerRun?: number;
  maxFileBytes?: number;
}

export interface RunLogStore extends RunLogSource {
  // Give this to createLogger (or a tee of it): one JSON line per call.
  sink: LogSink;
  file: string;
  close(): Promise<void>;
}

interface RunLines {
  entries: LogEntry[];
  // Lines dropped from the front once the run went over maxEntriesPerRun.
  dropped: number;
}

// Fields that LogEntry carries itself; the rest go to `fields`.
const OWN_FIELDS = new Set(['severity', 'message', 'time', 'stage']);

function entryOf(record: Record<string, unknown>): LogEntry {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!OWN_FIELDS.has(key)) fields[key] = value;
  return {
    timestamp: typeof record.time === 'string' ? record.time : new Date().toISOString(),
    severity: typeof record.severity === 'string' ? record.severity : 'DEFAULT',
    message: typeof record.message === 'string' ? record.message : '',
    ...(typeof record.stage === 'string' ? { stage: record.stage } : {}),
    fields,
  };
}

export function createRunLogStore(options: RunLogStoreOptions): RunLogStore {
  const maxRuns = options.maxRuns ?? 2000;
  const maxEntriesPerRun = options.maxEntriesPerRun ?? 5000;
  const maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
  const { file } = options;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Synchronous appends: a line is in the file when the logger returns, in order, and rotation is a
  // plain close + rename (the lines are small; the local cloud logs far less than a disk takes).
  const open = () => fs.openSync(file, 'w', 0o600);
  let out: number | undefined = open();
  let written = 0;
  // Insertion order is eviction order: the run whose first line came earliest goes first.
  const runs = new Map<string, RunLines>();

  const index = (line: string) => {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (!record || typeof record !== 'object') return;
    const runId = (record as { runId?: unknown }).runId;
    if (typeof runId !== 'string' || runId === '') return;
    let lines = runs.get(runId);
    if (!lines) {
      lines = { entries: [], dropped: 0 };
      runs.set(runId, lines);
      if (runs.size > maxRuns) runs.delete(runs.keys().next().value as string);
    }
    lines.entries.push(entryOf(record as Record<string, unknown>));
    if (lines.entries.length > maxEntriesPerRun) {
      lines.entries.shift();
      lines.dropped++;
    }
  };

  return {
    file,
    sink(line) {
      index(line);
      if (out !== undefined && written + Buffer.byteLength(line) + 1 > maxFileBytes) {
        // One older file kept: renamed, and a fresh one starts under the name.
        fs.closeSync(out);
        fs.renameSync(file, file.replace(/\.jsonl$/, '') + '.1.jsonl');
        out = open();
        written = 0;
      }
      if (out === undefined) return; // closed: the deployment is going down
      fs.writeSync(out, line + '\n');
      written += Buffer.byteLength(line) + 1;
    },
    // Oldest first, like reading a run top to bottom; pageToken is the index of the next line.
    async logsOf(runId, { pipeline, limit, pageToken }): Promise<LogPage> {
      const lines = runs.get(runId);
      if (!lines) return { entries: [] };
      const matching = pipeline === undefined ? lines.entries : lines.entries.filter((e) => e.fields?.pipeline === undefined || e.fields.pipeline === pipeline);
      const start = pageToken !== undefined && /^\d+$/.test(pageToken) ? Number(pageToken) : 0;
      const entries = matching.slice(start, start + limit);
      const next = start + entries.length;
      return { entries, ...(next < matching.length ? { nextPageToken: String(next) } : {}) };
    },
    async close() {
      if (out !== undefined) fs.closeSync(out);
      out = undefined;
    },
  };
}
