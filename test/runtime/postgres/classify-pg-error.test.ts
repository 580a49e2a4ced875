// The one PostgreSQL error classifier: pure function, no servers.
import { describe, expect, it } from 'vitest';
import { classifyPgError, connectionIsBroken, toStageError } from '../../../functions/runtime/postgres/classify-pg-error';
import { PermanentError, TransientError } from '../../../shared/errors';

const pgError = (code: string, message = 'x', extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

describe('classifyPgError', () => {
  it('reads the line and column of a COPY data error', () => {
    const error = pgError('22P02', 'invalid input syntax for type integer: "lots"', { where: 'COPY stock, line 4, column qty: "lots"' });
    expect(classifyPgError(error)).toEqual({ kind: 'permanent', code: '22P02', reason: 'data exception', line: 4, column: 'qty' });
    expect(classifyPgError(pgError('23505', 'duplicate key'))).toMatchObject({ kind: 'permanent', code: '23505' });
  });

  it('treats data, integrity, definition and program-limit classes as permanent (54011: over 1,600 columns)', () => {
    for (const code of ['22003', '23502', '42601', '42703', '42P01', '54011', '54000', '25006', '0A000']) {
      expect(classifyPgError(pgError(code)).kind, code).toBe('permanent');
    }
  });

  it('treats connection trouble, shutdown, overload, deadlock, serialization and lock timeouts as transient', () => {
    for (const code of ['08006', '08001', '57P01', '57014', '53300', '58030', '40001', '40P01', '55P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) {
      expect(classifyPgError(pgError(code)).kind, code).toBe('transient');
    }
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).kind).toBe('transient');
    expect(classifyPgError(new Error('Connection terminated due to connection timeout')).kind).toBe('transient');
  });

  it('treats anything unknown as transient (bounded by max delivery attempts)', () => {
    expect(classifyPgError(pgError('XX000'))).toMatchObject({ kind: 'transient', reason: 'unknown' });
    expect(classifyPgError(new Error('something odd')).kind).toBe('transient');
    expect(classifyPgError('boom').kind).toBe('transient');
  });

  it('says when a connection must not go back to the pool', () => {
    expect(connectionIsBroken(pgError('57P01'))).toBe(true);
    expect(connectionIsBroken(pgError('25P03'))).toBe(true);
    expect(connectionIsBroken(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(connectionIsBroken(pgError('22P02'))).toBe(false);
    expect(connectionIsBroken(pgError('55P03'))).toBe(false);
    expect(connectionIsBroken(new PermanentError('a file problem'))).toBe(false);
  });
});

describe('toStageError', () => {
  it('makes the two kinds a handler throws, naming what was being done', () => {
    const permanent = toStageError(pgError('54011', 'tables can have at most 1600 columns'), 'load into pos.wide');
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(permanent.message).toBe('load into pos.wide: tables can have at most 1600 columns (54011)');
    const transient = toStageError(pgError('55P03', 'canceling statement due to lock timeout'), 'aggregate a');
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient.message).toMatch(/^aggregate a: database busy or unavailable, lock timeout \(55P03\)/);
  });

  it('passes errors that already are one of the two kinds through', () => {
    const permanent = new PermanentError('p');
    const transient = new TransientError('t');
    expect(toStageError(permanent, 'x')).toBe(permanent);
    expect(toStageError(transient, 'x')).toBe(transient);
  });
});
