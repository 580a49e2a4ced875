// The one place a PostgreSQL (or connection) failure is sorted into what it means for a message. Used
// by load, aggregate and notify, so the three can never disagree again.
//  - permanent: the statement or the data is wrong and will be wrong on every retry — SQLSTATE classes
//    22 (data exception), 23 (integrity constraint), 42 (syntax / undefined object / privilege) and
//    54 (program limit exceeded, e.g. 54011: more than 1,600 columns), and 25006 (a write in a read-only
//    transaction), 0A (a feature the statement needs is not supported). Load quarantines the file with
//    the reason; aggregate and notify fail with a PermanentError.
//  - transient: the server or the network, which heal with time — 08 (connection), 53 (resources),
//    57 (operator intervention, including 57014 statement timeout), 58 (system), 40001 (serialization),
//    40P01 (deadlock), 55P03 (lock timeout), socket errors and pg's own "Connection terminated…" errors.
//  - anything else (an unknown class, a code-less error): transient too, so Pub/Sub retries it and the
//    subscription's max delivery attempts bound it.
import { PermanentError, TransientError, isPermanent } from '../../../shared/errors';

export type PgErrorKind = 'permanent' | 'transient';

export interface PgErrorInfo {
  kind: PgErrorKind;
  // The SQLSTATE or the Node socket error code, when there is one.
  code?: string;
  // Why, in a few words ("data exception", "lock timeout", "unknown").
  reason: string;
  // From COPY's context ("COPY t, line 3, column qty: ..."): the line of the staged CSV and the column.
  line?: number;
  column?: string;
}

const PERMANENT_CLASSES: Record<string, string> = {
  '0A': 'feature not supported',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '42': 'syntax error or access rule violation',
  '54': 'program limit exceeded',
};

const TRANSIENT_CLASSES: Record<string, string> = {
  '08': 'connection exception',
  '53': 'insufficient resources',
  '57': 'operator intervention or timeout',
  '58': 'system error',
};

// A read-only transaction asked to write: the statement is wrong, not the server (a report query).
const PERMANENT_CODES: Record<string, string> = {
  '25006': 'read-only transaction',
};

const TRANSIENT_CODES: Record<string, string> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock',
  '55P03': 'lock timeout',
  '25P03': 'idle in transaction timeout',
};

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

// node-postgres raises plain Errors (no code) when the socket goes away or a connect times out.
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Client was closed|Connection ended|Query read timeout/i;

export function classifyPgError(error: unknown): PgErrorInfo {
  if (typeof error !== 'object' || error === null) return { kind: 'transient', reason: 'unknown' };
  const { code, where, message } = error as { code?: unknown; where?: unknown; message?: unknown };
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return { kind: 'transient', code, reason: 'network' };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    const permanent = PERMANENT_CODES[code] ?? PERMANENT_CLASSES[cls];
    if (permanent) return { kind: 'permanent', code, reason: permanent, ...copyPosition(typeof where === 'string' ? where : '') };
    const transient = TRANSIENT_CODES[code] ?? TRANSIENT_CLASSES[cls];
    return { kind: 'transient', code, reason: transient ?? 'unknown' };
  }
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return { kind: 'transient', reason: 'connection lost' };
  return { kind: 'transient', reason: 'unknown' };
}

// Whether the connection that raised it must not go back to the pool: the socket failed, or the server
// ended the session (connection, shutdown, system errors; idle-in-transaction timeout). Other errors —
// a refused statement, our own permanent errors — leave a healthy session (the ROLLBACK tells).
export function connectionIsBroken(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return ['08', '57', '58'].includes(code.slice(0, 2)) || code === '25P03';
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

// The error a handler throws for it: PermanentError or TransientError, prefixed with what was being
// done. pg's messages name the statement's problem, never the connection string. Errors that are
// already one of the two kinds pass through.
export function toStageError(error: unknown, what: string): Error {
  if (error instanceof TransientError || isPermanent(error)) return error as Error;
  if (error instanceof Error && error.name === 'TransientError') return error;
  const info = classifyPgError(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = info.code ? ` (${info.code})` : '';
  if (info.kind === 'permanent') return new PermanentError(`${what}: ${message}${code}`, { cause: error });
  return new TransientError(`${what}: database busy or unavailable, ${info.reason}${code}: ${message}`, { cause: error });
}

function copyPosition(where: string): { line?: number; column?: string } {
  const line = /\bline (\d+)/.exec(where);
  const column = /\bcolumn ([^:]+):?/.exec(where);
  return {
    ...(line ? { line: Number(line[1]) } : {}),
    ...(column ? { column: (column[1] as string).trim() } : {}),
  };
}
