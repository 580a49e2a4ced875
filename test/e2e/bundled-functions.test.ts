// The demo pipeline end to end through the BUILT stage bundles: `buildFunctionBundles` writes what
// `npm run build` deploys, and every function runs as its own functions-framework CLI process on its
// stage directory, as Cloud Functions gen2 runs it. Pub/Sub pushes into those processes; nothing of
// the stage code is loaded in this process. Same outcome expected as the in-process happy path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleHost } from '../../emulator/bundle-host';
import type { FinishedRun } from '../../emulator/run-watch';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { buildFunctionBundles } from '../../scripts/build-functions';
import { expectEveryFileLoaded, expectRollupsMatchSql, tableCounts } from './assertions';
import { startDemoHarness, type DemoHarness } from './demo-harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATES = ['2026-09-14', '2026-09-15', '2026-09-16'];
const STAGES = ['fetch', 'transform', 'load', 'aggregate', 'notify'];

interface OutputLine {
  functionName: string;
  entry: Record<string, unknown>;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('demo pipeline through the built bundles (functions-framework processes)', () => {
  let outDir: string;
  let h: DemoHarness | undefined;
  let run: FinishedRun;
  let fixture: ReturnType<DemoHarness['generate']>;
  const output: OutputLine[] = [];
  const timings: Record<string, number> = {};

  // When something fails, what the function processes said is the useful part.
  const processOutput = (): string => {
    if (!h || !('outputOf' in h.deployment.host)) return '';
    const host: BundleHost = h.deployment.host;
    return STAGES.map((stage) => `${h!.deployment.prefix}-${h!.pipeline.name}-${stage}`)
      .map((name) => `--- ${name}${host.exited().includes(name) ? ' (exited)' : ''}\n${host.outputOf(name).slice(-3000)}`)
      .join('\n');
  };

  beforeAll(async () => {
    let t = Date.now();
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bundles-'));
    await buildFunctionBundles({ root: ROOT, outDir });
    timings.buildMs = Date.now() - t;

    t = Date.now();
    h = await startDemoHarness({
      bundles: {
        dir: outDir,
        root: ROOT,
        // The children get no environment of ours but this: emulator clients would otherwise probe
        // the GCE metadata server for a universe domain.
        env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none' },
        onOutput: (functionName, line) => {
          try {
            const entry = JSON.parse(line) as unknown;
            if (entry && typeof entry === 'object') output.push({ functionName, entry: entry as Record<string, unknown> });
          } catch {
            // framework text (stack traces): kept in the host's output tail for error messages
          }
        },
      },
      // INFO: the test waits for the functions' "message handled" events.
      logLevel: 'INFO',
    });
    timings.deployMs = Date.now() - t;

    fixture = h.generate(DATES);
    t = Date.now();
    try {
      run = await h.runOnce({ date: DATES[2], timeoutMs: 45_000 });
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nfunction processes:\n${processOutput()}`);
    }
    timings.runMs = Date.now() - t;
  });

  afterAll(async () => {
    await h?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
    console.info(`bundled-functions timings: ${JSON.stringify(timings)}`);
  });

  it('serves every stage from its own functions-framework process on the built bundle', () => {
    const host = h!.deployment.host as BundleHost;
    expect('outputOf' in host).toBe(true);
    expect(host.exited()).toEqual([]);
    const stagesHeard = new Set(output.map((o) => o.entry.stage));
    for (const stage of STAGES) expect(stagesHeard, stage).toContain(stage);
  });

  it('succeeds with every file loaded', () => {
    expectEveryFileLoaded(run, 9);
  });

  it("loads every table's fixture rows exactly once", async () => {
    expect(await tableCounts(h!)).toEqual(fixture.rows);
  });

  it('keeps Firestore roll-ups equal to the same roll-ups computed by SQL', async () => {
    await expectRollupsMatchSql(h!);
  });

  it('mails the report with an HTML table and a CSV attachment', async () => {
    const mails = await h!.mailsFor(run.run.runId);
    const report = mails.find((m) => (m.attachments ?? []).some((a) => a.filename?.endsWith('.csv')));
    expect(report, 'report e-mail').toBeDefined();
    expect(report?.html).toContain('<table');
    const csv = report?.attachments.find((a) => a.filename?.includes('category'))?.content.toString('utf8') ?? '';
    expect(csv.split(/\r?\n/)[0]).toContain('category');
    expect(csv).toContain(DATES[1]);
  });

  it('a second delivery of the same trigger (same run id) copies and loads nothing again', async () => {
    const { deployment, pipeline } = h!;
    const messageId = await deployment.trigger(pipeline.name, { runId: run.run.runId, date: DATES[2] });
    // The fetch function says when it is done with that very message; anything it copied again would
    // be in raw/ by then, since the copy happens before the handler returns.
    const handled = await waitFor(
      'fetch handling the repeated trigger',
      () => output.find((o) => o.entry.stage === 'fetch' && o.entry.messageId === messageId && o.entry.message === 'message handled'),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nfunction processes:\n${processOutput()}`);
    });
    expect(handled.functionName).toBe(`${deployment.prefix}-${pipeline.name}-fetch`);
    const [raw] = await deployment.storage.bucket(deployment.bucket).getFiles({ prefix: `raw/${pipeline.name}/` });
    expect(raw).toHaveLength(0);
    expect(await tableCounts(h!)).toEqual(fixture.rows);
    const again = await createFirestoreRunStore(h!.firestore).getRun(run.run.runId);
    expect(again?.status).toBe('succeeded');
    expect(again?.counts.loaded).toBe(9);
  });
});
