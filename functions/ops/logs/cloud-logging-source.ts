// A run's log lines in the cloud: Cloud Logging's entries.list over the project, filtered on the
// `runId` every stage writes into its JSON log lines (shared/logger.ts → jsonPayload.runId), oldest
// first, by pages. The timestamp bound keeps the query on recent logs (Logging's default retention
// is 30 days), as Google recommends for speed. Lines were redacted when written; they are redacted
// again here, because a page of logs is an API answer.
import { GoogleAuth } from 'google-auth-library';
import { logging_v2 } from 'googleapis/build/src/apis/logging/v2';
import { processRedactor, type Redactor } from '../../../shared/redact';
import type { LogEntry, LogPage } from '../api-schemas';
import type { RunLogSource } from '../ops-deps';

export const LOGGING_READ_SCOPE = 'https://www.googleapis.com/auth/logging.read';
export const LOG_LOOKBACK_DAYS = 31;

export interface CloudLoggingSourceOptions {
  projectId: string;
  // Default: the function's own identity (application default credentials).
  auth?: logging_v2.Options['auth'];
  // Tests: a loopback stand-in for https://logging.googleapis.com/.
  rootUrl?: string;
  redactor?: Redactor;
  now?: () => Date;
}

// A filter string literal: backslashes and quotes escaped (run ids are [A-Za-z0-9_-] anyway).
const quoted = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export function runLogFilter(runId: string, options: { pipeline?: string; since: Date }): string {
  return [
    `jsonPayload.runId=${quoted(runId)}`,
    ...(options.pipeline ? [`jsonPayload.pipeline=${quoted(options.pipeline)}`] : []),
    `timestamp>=${quoted(options.since.toISOString())}`,
  ].join(' AND ');
}

function toLogEntry(entry: logging_v2.Schema$LogEntry, redactor: Redactor): LogEntry {
  const payload = { ...(entry.jsonPayload ?? {}) } as Record<string, unknown>;
  const message = typeof payload.message === 'string' ? payload.message : (entry.textPayload ?? '');
  const stage = typeof payload.stage === 'string' ? payload.stage : undefined;
  delete payload.message;
  delete payload.severity;
  const fields = JSON.parse(redactor.redact(JSON.stringify(payload))) as Record<string, unknown>;
  return {
    timestamp: entry.timestamp ?? entry.receiveTimestamp ?? '',
    severity: entry.severity ?? 'DEFAULT',
    message: redactor.redact(message),
    ...(stage ? { stage } : {}),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}

export function createCloudLoggingSource(options: CloudLoggingSourceOptions): RunLogSource {
  const redactor = options.redactor ?? processRedactor;
  const now = options.now ?? (() => new Date());
  const logging = new logging_v2.Logging({
    auth: options.auth ?? new GoogleAuth({ scopes: [LOGGING_READ_SCOPE] }),
    ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}),
  });
  return {
    async logsOf(runId, query): Promise<LogPage> {
      const since = new Date(now().getTime() - LOG_LOOKBACK_DAYS * 86_400_000);
      const response = await logging.entries.list({
        requestBody: {
          resourceNames: [`projects/${options.projectId}`],
          filter: runLogFilter(runId, { ...(query.pipeline ? { pipeline: query.pipeline } : {}), since }),
          orderBy: 'timestamp asc',
          // entries.list takes at most 1000.
          pageSize: Math.min(Math.max(query.limit, 1), 1000),
          ...(query.pageToken ? { pageToken: query.pageToken } : {}),
        },
      });
      const entries = (response.data.entries ?? []).map((e) => toLogEntry(e, redactor));
      return { entries, ...(response.data.nextPageToken ? { nextPageToken: response.data.nextPageToken } : {}) };
    },
  };
}
