// How long any database wait may take, derived from the stage's timeout so that every wait fails (as a
// transient error, retried by Pub/Sub) before the platform kills the function for running too long —
// and a frozen or dead instance cannot hold a table's lock for longer than these either.
//
// With T the stage's timeoutSeconds:
//  - connect:                min(10 s, 5% of T)   a database that does not answer at all;
//  - lock_timeout:           20% of T             waiting for another load's or roll-up's advisory or row lock;
//  - statement_timeout:      60% of T             one statement (a large COPY is one statement);
//  - idle_in_transaction:    25% of T             the server ends a session whose client went quiet
//                                                 mid-transaction (frozen instance), releasing its locks;
//  - transaction_timeout:    80% of T             the whole transaction (PostgreSQL 17+; older servers skip it),
//                                                 which leaves ≥ 20% of T for the work after the commit
//                                                 (archive, publish, run record).
// Load (T = 540 s): connect 10 s, lock 108 s, statement 324 s, idle 135 s, transaction 432 s.
// Aggregate and notify (T = 300 s): connect 10 s, lock 60 s, statement 180 s, idle 75 s, transaction 240 s.
export interface DatabaseBounds {
  connectMs: number;
  lockMs: number;
  statementMs: number;
  idleInTransactionMs: number;
  transactionMs: number;
}

export function databaseBounds(stageTimeoutSeconds: number): DatabaseBounds {
  const t = stageTimeoutSeconds * 1000;
  return {
    connectMs: Math.min(10_000, Math.round(t * 0.05)),
    lockMs: Math.round(t * 0.2),
    statementMs: Math.round(t * 0.6),
    idleInTransactionMs: Math.round(t * 0.25),
    transactionMs: Math.round(t * 0.8),
  };
}

// Pool options for a stage: bounded connect and idle times, TCP keep-alive so a connection whose
// server vanished (failover, network cut) errors within about a minute instead of hanging on a
// half-open socket.
export function poolOptions(bounds: DatabaseBounds): { connectionTimeoutMillis: number; idleTimeoutMillis: number; keepAlive: true; keepAliveInitialDelayMillis: number } {
  return { connectionTimeoutMillis: bounds.connectMs, idleTimeoutMillis: 30_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 };
}
