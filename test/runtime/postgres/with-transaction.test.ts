// The shared transaction helper on the real PostgreSQL: every wait is bounded and fails transient, a
// failed transaction is rolled back and its client released (destroyed when the connection broke).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advisoryKey, lockForTransaction } from '../../../functions/runtime/advisory-lock';
import { toStageError } from '../../../functions/runtime/postgres/classify-pg-error';
import { databaseBounds, poolOptions, type DatabaseBounds } from '../../../functions/runtime/postgres/database-bounds';
import { withTransaction } from '../../../functions/runtime/postgres/with-transaction';
import { TransientError } from '../../../shared/errors';
import { createTestSchema, localCloud, type TestSchema } from '../../support/local-cloud';

const SHORT: DatabaseBounds = { connectMs: 2_000, lockMs: 300, statementMs: 400, idleInTransactionMs: 400, transactionMs: 5_000 };

let schema: TestSchema;
let pool: pg.Pool;
let admin: pg.Pool;

beforeAll(async () => {
  schema = await createTestSchema('tx');
  pool = new pg.Pool({ connectionString: schema.databaseUrl, max: 2, ...poolOptions(SHORT) });
  admin = new pg.Pool({ connectionString: schema.databaseUrl, max: 2 });
  await admin.query('create table t (id int primary key, v text)');
  await admin.query(`insert into t values (1, 'a')`);
});

afterAll(async () => {
  await pool?.end();
  await admin?.end();
  await schema?.drop();
});

// Runs `work` failing, and says how long it took and what it threw (as a stage would see it).
async function failing(work: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await work();
  } catch (error) {
    return { error: toStageError(error, 'test'), ms: Date.now() - started };
  }
  throw new Error('expected the work to fail');
}

describe('databaseBounds', () => {
  it('keeps every wait below the stage timeout, the transaction with room for the work after it', () => {
    const b = databaseBounds(540);
    expect(b).toEqual({ connectMs: 10_000, lockMs: 108_000, statementMs: 324_000, idleInTransactionMs: 135_000, transactionMs: 432_000 });
    for (const t of [60, 300, 540]) {
      const x = databaseBounds(t);
      expect(Math.max(x.connectMs, x.lockMs, x.statementMs, x.idleInTransactionMs, x.transactionMs)).toBeLessThanOrEqual(t * 1000 * 0.8);
    }
  });
});

describe('withTransaction', () => {
  it('fails transient within the lock bound while another session holds the advisory lock', async () => {
    const holder = await admin.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1::bigint)', [advisoryKey('sluice:table:x.y')]);
      const { error, ms } = await failing(() => withTransaction(pool, { bounds: SHORT, what: 'load' }, (c) => lockForTransaction(c, 'sluice:table:x.y')));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toMatch(/lock timeout \(55P03\)/);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  it('fails transient within the lock bound while another session holds a row lock', async () => {
    const holder = await admin.connect();
    try {
      await holder.query('begin');
      await holder.query('select * from t where id = 1 for update');
      const { error, ms } = await failing(() => withTransaction(pool, { bounds: SHORT, what: 'load' }, (c) => c.query(`update t set v = 'b' where id = 1`)));
      expect(error).toBeInstanceOf(TransientError);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  it('fails transient when a statement runs past the statement bound', async () => {
    const { error, ms } = await failing(() => withTransaction(pool, { bounds: SHORT, what: 'q' }, (c) => c.query('select pg_sleep(10)')));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/57014/);
    expect(ms).toBeLessThan(3_000);
  });

  it('rolls back on error and returns a healthy client to the pool', async () => {
    await failing(() => withTransaction(pool, { bounds: SHORT, what: 'q' }, async (c) => {
      await c.query(`insert into t values (2, 'x')`);
      await c.query('select 1/0');
    }));
    expect((await admin.query('select count(*)::int as n from t')).rows[0].n).toBe(1);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // The bounds were SET LOCAL: a later plain query on the same pooled connection has none.
    const settings = await pool.query(`select current_setting('lock_timeout') as lock, current_setting('statement_timeout') as stmt`);
    expect(settings.rows[0]).toEqual({ lock: '0', stmt: '0' });
  });

  it('destroys a client whose session the server ended (idle in transaction past its bound)', async () => {
    const before = pool.totalCount;
    const { error } = await failing(() => withTransaction(pool, { bounds: SHORT, what: 'q' }, async (c) => {
      await c.query('select 1');
      // The client goes quiet mid-transaction, as a frozen instance would; the server ends the session.
      await new Promise((resolve) => setTimeout(resolve, SHORT.idleInTransactionMs * 3));
      await c.query('select 1');
    }));
    expect(error).toBeInstanceOf(TransientError);
    expect(pool.totalCount).toBeLessThanOrEqual(before);
    expect((await pool.query('select 1 as ok')).rows[0].ok).toBe(1);
  });

  it('commits what the work did and returns its result', async () => {
    const n = await withTransaction(pool, { bounds: SHORT, what: 'q' }, async (c) => {
      await c.query(`insert into t values (3, 'c')`);
      return 3;
    });
    expect(n).toBe(3);
    expect((await admin.query('select v from t where id = 3')).rows).toEqual([{ v: 'c' }]);
  });

  it('refuses writes in a read-only transaction', async () => {
    const { error } = await failing(() => withTransaction(pool, { bounds: SHORT, readOnly: true, what: 'q' }, (c) => c.query('delete from t')));
    expect(error.name).toBe('PermanentError');
    expect((await admin.query('select count(*)::int as n from t')).rows[0].n).toBe(2);
  });
});
