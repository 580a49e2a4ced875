// Runs ONE stage handler on one message in its own process, so its peak RSS (maxRSS) is the stage's
// alone, not the emulator's or the parent's. Input: JSON on argv[2]. Output: one JSON line on stdout.
import { transformHandler } from '../functions/transform/handler';
import { loadHandler } from '../functions/load/handler';
import { createLogger } from '../shared/logger';
import type { StageMessage } from '../shared/messages';
import { createTestContext, objectFinalizedMessage, stageMessage } from '../test/support/stage-test-context';
import { testPipeline } from '../test/load/test-pipeline';

export interface WorkerInput {
  stage: 'transform' | 'load';
  storageUrl: string;
  databaseUrl: string;
  bucket: string;
  schema: string;
  // transform: the raw object (bucket, object, generation) and its size; load: the staged message.
  raw?: { bucket: string; object: string; generation: string; size: number };
  message?: StageMessage;
}

export interface WorkerOutput {
  ms: number;
  maxRssBytes: number;
  // The handler's own timing of its main step ('file loaded' → the load transaction), when logged.
  innerMs?: number;
  published: StageMessage[];
  quarantined: string[];
}

export const BENCH_RULE = { name: 'sales', match: '^Sales', table: 'sales', mode: 'append' as const };

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
  const pipeline = testPipeline(input.schema, [BENCH_RULE], 'bench');
  const lines: Array<{ message?: string; ms?: number }> = [];
  const logger = createLogger({}, (line) => lines.push(JSON.parse(line) as { message?: string; ms?: number }), 'INFO');
  const ctx = createTestContext({ pipeline, stage: input.stage, bucket: input.bucket, storageUrl: input.storageUrl, databaseUrl: input.databaseUrl, logger });
  const message = input.stage === 'transform'
    ? objectFinalizedMessage(input.raw!, input.raw!.size)
    : stageMessage(input.message!);
  const started = performance.now();
  await (input.stage === 'transform' ? transformHandler : loadHandler)(ctx, message);
  const ms = performance.now() - started;
  await ctx.close();
  const output: WorkerOutput = {
    ms,
    innerMs: lines.find((l) => l.message === 'file loaded' || l.message === 'file transformed')?.ms,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    published: ctx.published.map((p) => p.message),
    quarantined: ctx.quarantined.map((q) => q.reason),
  };
  process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
