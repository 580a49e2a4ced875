// Runs ONE measured job in its own process, so its peak RSS (maxRSS) is that job's alone, not the
// emulator's or the parent's: a stage handler on one message, or one of the baselines it is compared
// with. Every job loads the same modules (this file's imports), so module memory is the same on both
// sides of a ratio (exceljs is imported only by the job that uses it: the XLSX transform loads its
// own parser's modules, the CSV jobs none). Input: JSON on argv[2]. Output: one JSON line on stdout.
import fs from 'node:fs';
import Papa from 'papaparse';
import { transformHandler } from '../functions/transform/handler';
import { loadHandler } from '../functions/load/handler';
import { createLogger } from '../shared/logger';
import type { StageMessage } from '../shared/messages';
import type { PipelineInput } from '../shared/pipeline-definition';
import { createTestContext, objectFinalizedMessage, stageMessage } from '../test/support/stage-test-context';
import { testPipeline } from '../test/load/test-pipeline';
import { BENCH_RULE } from './bench-rule';

type RuleInput = PipelineInput['imports'][number];

export interface WorkerInput {
  // transform, load: the stage handler. papaparse: a bare Papa.parse of the raw object, streamed
  // from the same emulator as transform reads it. exceljs: ExcelJS' non-streaming reader on a local file.
  stage: 'transform' | 'load' | 'papaparse' | 'exceljs';
  storageUrl: string;
  databaseUrl: string;
  bucket: string;
  schema: string;
  // The pipeline's only import rule (default BENCH_RULE).
  rule?: RuleInput;
  // transform, papaparse: the raw object (bucket, object, generation) and its size; load: the staged message.
  raw?: { bucket: string; object: string; generation: string; size: number };
  message?: StageMessage;
  // exceljs: the workbook on disk.
  file?: string;
}

export interface WorkerOutput {
  ms: number;
  // CPU time of this process (user + system) over the same span as `ms`.
  cpuMs: number;
  maxRssBytes: number;
  // The handler's own timing of its main step ('file loaded' → the load transaction), when logged.
  innerMs?: number;
  // Baselines: the data rows they read.
  rows?: number;
  // The largest of each part of memory seen (process.memoryUsage() every 100 ms), in bytes: tells a
  // growing peak RSS from the JS heap apart from one from buffers outside it.
  peaks: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; rss: number };
  published: StageMessage[];
  quarantined: string[];
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
  const pipeline = testPipeline(input.schema, [input.rule ?? BENCH_RULE], 'bench');
  const lines: Array<{ message?: string; ms?: number }> = [];
  const logger = createLogger({}, (line) => lines.push(JSON.parse(line) as { message?: string; ms?: number }), 'INFO');
  const stage = input.stage === 'load' ? 'load' : 'transform';
  const ctx = createTestContext({ pipeline, stage, bucket: input.bucket, storageUrl: input.storageUrl, databaseUrl: input.databaseUrl, logger });
  const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const key of Object.keys(peaks) as Array<keyof typeof peaks>) peaks[key] = Math.max(peaks[key], m[key]);
  };
  const sampler = setInterval(sample, 100);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let rows: number | undefined;
  if (input.stage === 'transform') await transformHandler(ctx, objectFinalizedMessage(input.raw!, input.raw!.size));
  else if (input.stage === 'load') await loadHandler(ctx, stageMessage(input.message!));
  else if (input.stage === 'papaparse') {
    const source = ctx.storage.bucket(input.raw!.bucket).file(input.raw!.object, { generation: input.raw!.generation }).createReadStream({ validation: 'md5' });
    rows = await papaparseRows(source.setEncoding('utf8'));
  } else rows = await exceljsRows(input.file!);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  sample();
  await ctx.close();
  const output: WorkerOutput = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    innerMs: lines.find((l) => l.message === 'file loaded' || l.message === 'file transformed')?.ms,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(rows !== undefined ? { rows } : {}),
    peaks,
    published: ctx.published.map((p) => p.message),
    quarantined: ctx.quarantined.map((q) => q.reason),
  };
  process.stdout.write(JSON.stringify(output) + '\n');
}

// Papa.parse's own streaming of a Node readable, batch by batch (`chunk`: its fastest mode), nothing
// done with the rows but counting them. Minus the header.
function papaparseRows(source: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    source.on('error', reject);
    Papa.parse<string[]>(source as never, {
      skipEmptyLines: true,
      chunk: (results) => { rows += results.data.length; },
      complete: () => resolve(rows - 1),
      error: (error: Error) => reject(error),
    });
  });
}

// The whole workbook in memory, every cell's value touched once. Minus the header row.
async function exceljsRows(file: string): Promise<number> {
  if (!fs.existsSync(file)) throw new Error(`no workbook at ${file}`);
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error(`${file} has no worksheet`);
  let rows = 0;
  let cells = 0;
  sheet.eachRow((row) => {
    rows++;
    row.eachCell(() => { cells++; });
  });
  if (cells === 0) throw new Error(`${file}: no cells read`);
  return rows - 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
