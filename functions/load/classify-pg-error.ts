// What a PostgreSQL (or connection) error means for the message: the file's data is bad (quarantine,
// never retry), the database is unreachable or busy (retry), or unknown (rethrown; retried by default).

export type PgErrorKind = 'data' | 'transient' | 'unknown';

export interface PgErrorInfo {
  kind: PgErrorKind;
  code?: string;
  // From COPY's context ("COPY t, line 3, column qty: ..."): the line of the staged CSV and the column.
  line?: number;
  column?: string;
}

const TRANSIENT_CLASSES = new Set(['08', '53', '57', '40', '55']); // connection, resources, shutdown, rollback (deadlock), lock not available
const DATA_CLASSES = new Set(['22', '23']); // data exception, integrity constraint violation
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

export function classifyPgError(error: unknown): PgErrorInfo {
  if (typeof error !== 'object' || error === null) return { kind: 'unknown' };
  const { code, where, message } = error as { code?: unknown; where?: unknown; message?: unknown };
  if (typeof code === 'string' && TRANSIENT_NODE_CODES.has(code)) return { kind: 'transient', code };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (DATA_CLASSES.has(cls)) return { kind: 'data', code, ...copyPosition(typeof where === 'string' ? where : '') };
    if (TRANSIENT_CLASSES.has(cls)) return { kind: 'transient', code };
    return { kind: 'unknown', code };
  }
  // pg raises plain Errors when the socket goes away mid-query.
  if (typeof message === 'string' && /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error/i.test(message)) {
    return { kind: 'transient' };
  }
  return { kind: 'unknown' };
}

function copyPosition(where: string): { line?: number; column?: string } {
  const line = /\bline (\d+)/.exec(where);
  const column = /\bcolumn ([^:]+):?/.exec(where);
  return {
    ...(line ? { line: Number(line[1]) } : {}),
    ...(column ? { column: (column[1] as string).trim() } : {}),
  };
}
