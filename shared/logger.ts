// One JSON object per line on stdout, in the shape Cloud Logging parses from a function's output:
// `severity` and `message` are recognised; the other keys land in jsonPayload so one run can be
// followed across functions by `runId`. A logger is passed down, never imported as a global.
import { REDACTED, processRedactor, type Redactor } from './redact';

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

// Keys whose values are credentials whatever they look like: passwords, tokens, keys, cookies, and
// anything holding a URL or connection string (which may carry a password or a signed query).
const SECRET_KEY = /pass(word|wd)?|secret|token|private_?key|credential|authorization|api_?key|cookie|dsn|connection_?string|ur[li]$/i;

// Deeper than this, a value is written as "[truncated]": a depth cap must never let a value through
// unscrubbed, and it also bounds what a cyclic or huge object costs.
export const MAX_LOG_DEPTH = 8;

// Every string at every depth goes through the redactor; errors keep their name, message, code and
// cause (each scrubbed), not their stack, whose first line repeats the message anyway.
function scrub(value: unknown, redactor: Redactor, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_LOG_DEPTH) return '[truncated]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    return scrubObject(value, redactor, depth, seen);
  } finally {
    // Only an object inside itself is circular; one referenced twice side by side is written twice.
    seen.delete(value);
  }
}

function scrubObject(value: object, redactor: Redactor, depth: number, seen: WeakSet<object>): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof Error) {
    const { code, cause } = value as Error & { code?: unknown };
    return {
      name: value.name,
      message: redactor.redact(value.message),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(cause !== undefined ? { cause: scrub(cause, redactor, depth + 1, seen) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, redactor, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : scrub(v, redactor, depth + 1, seen);
  return out;
}

// `redactor`: the process's by default, which knows every secret the secret reader has read.
export function createLogger(base: LogFields = {}, sink: LogSink = defaultSink, minSeverity: Severity = 'DEBUG', redactor: Redactor = processRedactor): Logger {
  const order: Severity[] = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'];
  const floor = order.indexOf(minSeverity);
  const emit = (severity: Severity, message: string, fields?: LogFields) => {
    if (order.indexOf(severity) < floor) return;
    const payload = scrub({ ...base, ...fields }, redactor, 0, new WeakSet()) as object;
    const entry = { severity, message: redactor.redact(message), time: new Date().toISOString(), ...payload };
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink, minSeverity, redactor),
  };
}

// For tests and tools that want quiet output.
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLogger; },
};
