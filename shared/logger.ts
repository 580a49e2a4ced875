// One JSON object per line on stdout, in the shape Cloud Logging parses from a function's output:
// `severity` and `message` are recognised; the other keys land in jsonPayload so one run can be
// followed across functions by `runId`. A logger is passed down, never imported as a global.

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface LogFields {
  pipeline?: string;
  stage?: string;
  runId?: string;
  messageId?: string;
  [key: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const defaultSink: LogSink = (line) => process.stdout.write(line + '\n');

// Values that look like credentials are never written, whatever key they hide under.
const SECRET_KEY = /pass(word)?|secret|token|private_?key|credential|authorization/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

export function createLogger(base: LogFields = {}, sink: LogSink = defaultSink, minSeverity: Severity = 'DEBUG'): Logger {
  const order: Severity[] = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'];
  const floor = order.indexOf(minSeverity);
  const emit = (severity: Severity, message: string, fields?: LogFields) => {
    if (order.indexOf(severity) < floor) return;
    const entry = { severity, message, time: new Date().toISOString(), ...(scrub({ ...base, ...fields }) as object) };
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink, minSeverity),
  };
}

// For tests and tools that want quiet output.
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLogger; },
};
