// The local log stream: every line to the JSONL file, each run's lines by runId, pages, bounds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunLogStore, type RunLogStore } from '../../emulator/run-log-store';
import { teeLogger } from '../../emulator/tee-logger';
import { createLogger } from '../../shared/logger';

let dir: string;
let store: RunLogStore | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-logs-test-'));
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('run log store', () => {
  it('keeps each run its own lines, oldest first, in pages, and writes every line to the file', async () => {
    store = createRunLogStore({ file: path.join(dir, 'logs', 'functions.jsonl') });
    const logger = createLogger({ component: 'function' }, store.sink, 'INFO');
    logger.info('deployment up'); // no run: file only
    for (let i = 0; i < 5; i++) logger.child({ pipeline: 'pos', stage: 'transform', runId: 'r1' }).info(`file ${i}`, { rows: i });
    logger.error('load failed', { pipeline: 'pos', stage: 'load', runId: 'r2', error: new Error('boom') });
    logger.debug('below the floor', { runId: 'r1' });

    const first = await store.logsOf('r1', { limit: 2 });
    expect(first.entries.map((e) => e.message)).toEqual(['file 0', 'file 1']);
    expect(first.entries[0]).toMatchObject({ severity: 'INFO', stage: 'transform', fields: { pipeline: 'pos', runId: 'r1', rows: 0, component: 'function' } });
    expect(Date.parse(first.entries[0]!.timestamp)).not.toBeNaN();
    const rest = await store.logsOf('r1', { limit: 10, pageToken: first.nextPageToken! });
    expect(rest.entries.map((e) => e.message)).toEqual(['file 2', 'file 3', 'file 4']);
    expect(rest.nextPageToken).toBeUndefined();
    expect((await store.logsOf('r2', { limit: 10 })).entries).toMatchObject([{ severity: 'ERROR', message: 'load failed', stage: 'load' }]);
    expect((await store.logsOf('r1', { limit: 10, pipeline: 'other' })).entries).toEqual([]);
    expect(await store.logsOf('nope', { limit: 10 })).toEqual({ entries: [] });

    await store.close();
    store = undefined;
    const lines = fs.readFileSync(path.join(dir, 'logs', 'functions.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(JSON.parse(lines[0]!).message).toBe('deployment up');
  });

  it('keeps the most recent runs and the last lines of each, and rotates the file once', async () => {
    store = createRunLogStore({ file: path.join(dir, 'functions.jsonl'), maxRuns: 2, maxEntriesPerRun: 3, maxFileBytes: 600 });
    const logger = createLogger({}, store.sink);
    for (const runId of ['a', 'b', 'c']) for (let i = 0; i < 5; i++) logger.info(`line ${i}`, { runId });
    expect((await store.logsOf('a', { limit: 10 })).entries).toEqual([]);
    expect((await store.logsOf('c', { limit: 10 })).entries.map((e) => e.message)).toEqual(['line 2', 'line 3', 'line 4']);
    await store.close();
    store = undefined;
    expect(fs.existsSync(path.join(dir, 'functions.1.jsonl'))).toBe(true);
    expect(fs.statSync(path.join(dir, 'functions.jsonl')).size).toBeLessThanOrEqual(600);
  });

  it('gets every line of a tee, whatever the console floor', async () => {
    store = createRunLogStore({ file: path.join(dir, 'functions.jsonl') });
    const console: string[] = [];
    const logger = teeLogger(createLogger({}, (line) => console.push(line), 'WARNING'), createLogger({}, store.sink, 'INFO'));
    logger.child({ runId: 'r' }).info('quiet on the console');
    logger.child({ runId: 'r' }).warn('loud');
    expect(console.map((l) => JSON.parse(l).message)).toEqual(['loud']);
    expect((await store.logsOf('r', { limit: 10 })).entries.map((e) => e.message)).toEqual(['quiet on the console', 'loud']);
  });
});
