// The one way a stage runs database work: connect, BEGIN (READ ONLY when asked), bound every wait
// (database-bounds.ts), run the work, COMMIT — or ROLLBACK on any error — and release the client,
// destroying it when its connection may be broken so the pool never hands out a dead one.
//
// Errors thrown by the work come back unchanged (the caller knows what they mean: load turns a data
// error into a quarantine); a failed connect is a TransientError.
import type { Pool, PoolClient } from 'pg';
import { TransientError } from '../../../shared/errors';
import { connectionIsBroken } from './classify-pg-error';
import type { DatabaseBounds } from './database-bounds';

export interface TransactionOptions {
  bounds: DatabaseBounds;
  readOnly?: boolean;
  // Names the work in the connect error ("load into pos.orders").
  what: string;
}

export async function connect(pool: Pool, what: string): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw new TransientError(`${what}: cannot connect to the database: ${(error as Error).message}`, { cause: error });
  }
}

// SET LOCAL for every bound in one round trip; set_config binds the values, and transaction_timeout
// is only set where the server has it (PostgreSQL 17+).
export async function boundTransaction(client: PoolClient, bounds: DatabaseBounds): Promise<void> {
  await client.query(
    `select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true),
            set_config('idle_in_transaction_session_timeout', $3, true),
            case when current_setting('server_version_num')::int >= 170000 then set_config('transaction_timeout', $4, true) end`,
    [`${bounds.lockMs}ms`, `${bounds.statementMs}ms`, `${bounds.idleInTransactionMs}ms`, `${bounds.transactionMs}ms`],
  );
}

export async function withTransaction<T>(pool: Pool, options: TransactionOptions, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool, options.what);
  let broken = false;
  // The server may end the session while no query is running (idle_in_transaction_session_timeout
  // fired while the work waited on Cloud Storage): pg then emits 'error' on the checked-out client,
  // which would crash the process without a listener. The next query fails and says why.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query(options.readOnly ? 'begin read only' : 'begin');
    await boundTransaction(client, options.bounds);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    broken = connectionIsBroken(error);
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
