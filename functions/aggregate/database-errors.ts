// Sorts a PostgreSQL failure into the two kinds a handler throws: a server that is down, busy or
// restarting heals with time (transient); a statement the database rejects does not (permanent).
import { PermanentError, TransientError, isPermanent } from '../../shared/errors';

// SQLSTATE classes that are about the server, not the statement: connection (08), resources (53),
// operator intervention/shutdown (57), system (58), rollbacks from concurrency (40), lock timeouts (55P03).
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58', '40']);

export function classifyDatabaseError(error: unknown, what: string): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  if (isPermanent(error)) return error as Error;
  const code = (error as { code?: unknown }).code;
  // pg messages name the statement's problem, never the connection string.
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (TRANSIENT_CLASSES.has(code.slice(0, 2)) || code === '55P03') return new TransientError(`${what}: database busy or unavailable (${code}): ${message}`, { cause: error });
    return new PermanentError(`${what}: ${message} (${code})`, { cause: error });
  }
  // No SQLSTATE: the connection itself failed (ECONNREFUSED, timeout, terminated).
  return new TransientError(`${what}: database unavailable: ${message}`, { cause: error });
}
