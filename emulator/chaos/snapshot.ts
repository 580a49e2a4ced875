// What a pipeline's runs produced, reduced to checksums a clean run and a faulted run of the same input
// can be compared by: every loaded table (row count and a digest of its sorted rows, lineage columns
// left out), every roll-up document (its values, not its timestamps or run ids), and the mails
// (how many reports and alerts, and a digest of each report's attachments, which hold query results).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { simpleParser } from 'mailparser';
import type pg from 'pg';
import { AGGREGATES_COLLECTION } from '../../functions/runtime/run-record';
import type { Pipeline } from '../../shared/pipeline-definition';

export interface TableDigest { rows: number; digest: string }
export interface Snapshot {
  tables: Record<string, TableDigest>;
  rollups: Record<string, { documents: number; digest: string }>;
  // alertSubjects: what each alert said, for the failure message (never compared: they name run ids).
  mails: { reports: number; alerts: number; reportDigests: string[]; alertSubjects: string[] };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

// Columns Sluice adds for its own bookkeeping (lineage) differ between runs by design.
const isBookkeeping = (column: string) => column.startsWith('_sluice');

export async function snapshotTables(db: pg.Pool, pipeline: Pipeline): Promise<Record<string, TableDigest>> {
  const schema = pipeline.database.schema;
  const tables: Record<string, TableDigest> = {};
  for (const table of [...new Set(pipeline.imports.map((r) => r.table))].sort()) {
    const cols = await db.query<{ column_name: string }>(
      'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by column_name',
      [schema, table],
    );
    const columns = cols.rows.map((r) => r.column_name).filter((c) => !isBookkeeping(c));
    if (columns.length === 0) {
      tables[table] = { rows: 0, digest: 'absent' };
      continue;
    }
    // Every value as text, rows sorted: the same multiset of rows gives the same digest whatever the load order.
    const row = `concat_ws(E'\\x1f', ${columns.map((c) => `coalesce(${quote(c)}::text, E'\\\\N')`).join(', ')})`;
    const result = await db.query<{ rows: string; digest: string | null }>(
      `select count(*)::text as rows, md5(string_agg(r, E'\\x1e' order by r)) as digest from (select ${row} as r from ${quote(schema)}.${quote(table)}) t`,
    );
    tables[table] = { rows: Number(result.rows[0]?.rows ?? 0), digest: result.rows[0]?.digest ?? 'empty' };
  }
  return tables;
}

export async function snapshotRollups(firestore: Firestore, pipeline: Pipeline): Promise<Snapshot['rollups']> {
  const rollups: Snapshot['rollups'] = {};
  for (const aggregate of pipeline.aggregates) {
    const snap = await firestore.collection(AGGREGATES_COLLECTION).doc(`${pipeline.name}__${aggregate.name}`).collection('buckets').get();
    const docs = snap.docs
      .map((doc) => {
        const { updatedAt: _u, lastRunId: _r, ...values } = doc.data() as Record<string, unknown>;
        return `${doc.id}=${JSON.stringify(values, Object.keys(values).sort())}`;
      })
      .sort();
    rollups[aggregate.name] = { documents: docs.length, digest: sha(docs.join('\n')) };
  }
  return rollups;
}

// Mails whose Message-ID names one of `runIds`: reports (`<run>.report…@sluice>`) and alerts.
export async function snapshotMails(outboxDir: string, runIds: readonly string[]): Promise<Snapshot['mails']> {
  const mails: Snapshot['mails'] = { reports: 0, alerts: 0, reportDigests: [], alertSubjects: [] };
  for (const name of fs.readdirSync(outboxDir).filter((n) => n.endsWith('.eml')).sort()) {
    const raw = fs.readFileSync(path.join(outboxDir, name));
    const mail = await simpleParser(raw);
    const id = mail.messageId ?? '';
    const run = runIds.find((r) => id.startsWith(`<${r}.`));
    if (!run) continue;
    if (id.includes('.report')) {
      mails.reports += 1;
      mails.reportDigests.push(sha(mail.attachments.map((a) => `${a.filename}:${a.content.toString('utf8')}`).join('\n')));
    } else if (id.includes('alert')) {
      mails.alerts += 1;
      mails.alertSubjects.push(`${mail.subject ?? ''}: ${(mail.text ?? '').replace(/\s+/g, ' ').slice(0, 400)}`);
    }
  }
  mails.reportDigests.sort();
  return mails;
}

// Differences between two snapshots, as sentences; empty when they agree.
export function compareSnapshots(expected: Snapshot, actual: Snapshot): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(expected.tables)) {
    const got = actual.tables[table];
    if (!got) problems.push(`table ${table} missing`);
    else if (got.rows !== want.rows) problems.push(`table ${table}: ${got.rows} rows, clean run ${want.rows}`);
    else if (got.digest !== want.digest) problems.push(`table ${table}: same count (${got.rows}) but different rows`);
  }
  for (const [name, want] of Object.entries(expected.rollups)) {
    const got = actual.rollups[name];
    if (!got || got.digest !== want.digest) problems.push(`roll-up ${name}: ${got?.documents ?? 0} documents differ from the clean run's ${want.documents}`);
  }
  return problems;
}
