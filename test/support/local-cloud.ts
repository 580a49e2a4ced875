// What test files use of the ONE local cloud the global setup starts per run: its endpoints
// (vitest inject), unique names so files can share it in parallel, and small client factories.
// Isolation: a project id per test file (both emulators accept any, which separates their data),
// unique bucket and topic names, a PostgreSQL schema per test.
import crypto from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import pg from 'pg';
import { inject } from 'vitest';
import type { LocalCloudEndpoints } from '../../emulator/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    localCloud: LocalCloudEndpoints;
  }
}

export function localCloud(): LocalCloudEndpoints {
  const endpoints = inject('localCloud');
  if (!endpoints) {
    throw new Error('This test needs the local cloud, which test/global-setup.ts did not start (SLUICE_TEST_NO_GLOBAL_SETUP=1 is set?).');
  }
  return endpoints;
}

/** `prefix-<10 random base36 chars>`: lowercase, so valid for buckets, topics, project ids. */
export function uniqueName(prefix: string): string {
  const random = BigInt('0x' + crypto.randomBytes(8).toString('hex')).toString(36).padStart(10, '0').slice(-10);
  return `${prefix.toLowerCase()}-${random}`;
}

/** A project id of its own (6-30 chars, starts with a letter). */
export function uniqueProjectId(prefix = 'test'): string {
  return uniqueName(prefix.slice(0, 15));
}

export function pubsubFor(projectId: string, endpoints = localCloud()): PubSub {
  return new PubSub({ projectId, apiEndpoint: endpoints.pubsubHost, emulatorMode: true });
}

export function firestoreFor(projectId: string, endpoints = localCloud()): Firestore {
  return new Firestore({ projectId, host: endpoints.firestoreHost, ssl: false });
}

export function storageFor(projectId: string, endpoints = localCloud()): Storage {
  return new Storage({ projectId, apiEndpoint: endpoints.storageUrl });
}

export interface TestSchema {
  schema: string;
  /** DATABASE_URL whose connections use this schema first (search_path). */
  databaseUrl: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL schema for one test; drop() removes it with everything in it. */
export async function createTestSchema(prefix = 'test', endpoints = localCloud()): Promise<TestSchema> {
  const schema = uniqueName(prefix).replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: endpoints.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`create schema ${admin.escapeIdentifier(schema)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(endpoints.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    databaseUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: endpoints.databaseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${client.escapeIdentifier(schema)} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
