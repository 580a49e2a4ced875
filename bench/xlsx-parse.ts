// XLSX reading, 200k rows × 10 columns by default: rows/s and peak RSS of Sluice's streaming xlsx
// parser (functions/transform/parsers/xlsx.ts) against exceljs' streaming WorkbookReader with its
// own row parser, and exceljs' non-streaming `workbook.xlsx.readFile` (the baseline the issue
// names), on the same file, in the same run. Each reader runs in a child process of its own, so its
// peak RSS (process.resourceUsage().maxRSS) is its own.
//   npx tsx bench/xlsx-parse.ts [--rows 200000] [--columns 10]
// A standalone script (bench/run.ts is the bench suite's entry; the lead may call this from it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { xlsxParser } from '../functions/transform/parsers/xlsx';
import { importRuleSchema } from '../shared/pipeline-definition';
import { wideXlsx } from '../test/transform/corpus/workbooks';

const READERS = ['sluice-xlsx-parser', 'exceljs-workbook-reader', 'exceljs-readFile'] as const;
type ReaderName = (typeof READERS)[number];

interface Result { reader: ReaderName; rows: number; seconds: number; peakRssMb: number }

async function readWith(reader: ReaderName, file: string): Promise<number> {
  let rows = 0;
  if (reader === 'sluice-xlsx-parser') {
    const head = Buffer.alloc(64);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, head, 0, 64, 0);
    fs.closeSync(fd);
    const parsed = await xlsxParser.parse({
      bytes: fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
      head,
      rule: importRuleSchema.parse({ name: 'bench', match: '.*', table: 'bench' }),
      fileName: path.basename(file),
      size: fs.statSync(file).size,
    });
    for await (const batch of parsed.batches) rows += batch.rows.length;
  } else if (reader === 'exceljs-workbook-reader') {
    const workbook = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', worksheets: 'emit' });
    for await (const sheet of workbook) for await (const _row of sheet) rows++;
  } else {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    rows = workbook.worksheets[0]?.rowCount ?? 0;
  }
  return rows;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function child(reader: ReaderName, file: string): Promise<void> {
  const started = process.hrtime.bigint();
  const rows = await readWith(reader, file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: Result = { reader, rows, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function main(): Promise<void> {
  const rows = option('rows', 200_000);
  const columns = option('columns', 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-xlsx-bench-'));
  try {
    const file = path.join(dir, 'wide.xlsx');
    fs.writeFileSync(file, await wideXlsx(rows, columns));
    console.log(`${rows} rows × ${columns} columns: ${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MB xlsx`);
    const self = fileURLToPath(import.meta.url);
    const results: Result[] = [];
    for (const reader of READERS) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', reader, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (run.status !== 0) throw new Error(`${reader} failed: ${run.stderr}`);
      results.push(JSON.parse(run.stdout.trim().split('\n').pop()!) as Result);
    }
    console.log('reader                      rows      seconds   rows/s     peak RSS');
    for (const r of results) {
      console.log(`${r.reader.padEnd(26)}  ${String(r.rows).padEnd(8)}  ${r.seconds.toFixed(2).padEnd(8)}  ${String(Math.round(r.rows / r.seconds)).padEnd(9)}  ${r.peakRssMb.toFixed(0)} MB`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(process.argv[childAt + 1] as ReaderName, process.argv[childAt + 2]!);
else await main();
