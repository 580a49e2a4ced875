// Part "xlsx": a 10-column workbook of --xlsx-rows (200k) rows, generated with exceljs' streaming
// writer, through the normal staged path (the transform handler, rule `format: 'xlsx'`) → staged
// rows/s and peak RSS (goals ≥ 50k rows/s, < 300 MB). Baseline in the same run: exceljs' non-streaming
// reader (`new Workbook().xlsx.readFile`) on the same file, its rows/s and peak RSS. Each in its own
// process (stage-worker.ts). A transform that cannot read XLSX yet (it quarantines the file as not
// text) is shown as "not available" with its reason, and the part goes on to its baseline.
import path from 'node:path';
import type { StagedMessage } from '../shared/messages';
import { stagedSidecarSchema } from '../shared/staged-sidecar';
import { startBenchServers } from './bench-servers';
import { generateXlsx, XLSX_COLUMNS } from './generate-xlsx';
import type { Options } from './options';
import { count, formatTable, mb, perSec, ratio, round2 } from './print-table';
import { runWorker } from './run-worker';

export const XLSX_GOALS = { rowsPerSec: 50_000, peakRssMB: 300 };

interface Measured { ms: number; rowsPerSec: number; maxRssMB: number }

export interface XlsxPart {
  rows: number;
  columns: number;
  xlsxBytes: number;
  transform: Measured | { unavailable: string };
  exceljs: Measured;
  // transform rows/s / exceljs rows/s, when transform ran.
  vsExceljs?: number;
  targets?: { rowsPerSecAtLeast50k: boolean; peakRssUnder300MB: boolean };
}

export async function benchXlsx(options: Options, log: (message: string) => void): Promise<XlsxPart> {
  const servers = await startBenchServers('xlsx', log);
  try {
    const rows = options.xlsxRows;
    const file = path.join(servers.tmp, 'Sales.xlsx');
    log(`xlsx: generating ${count(rows)} rows × ${XLSX_COLUMNS} columns`);
    const xlsxBytes = await generateXlsx(file, rows);
    const object = 'raw/bench/xlsx/Sales.xlsx';
    const [uploaded] = await servers.bucket.upload(file, { destination: object, resumable: false });
    const job = { storageUrl: servers.storageUrl, databaseUrl: servers.databaseUrl, bucket: servers.bucket.name, schema: 'bench_xlsx' };

    log(`xlsx: transform (${mb(xlsxBytes)} MB)`);
    let transform: XlsxPart['transform'];
    const out = await runWorker({
      ...job, stage: 'transform', rule: { name: 'sales', match: '^Sales', table: 'sales', format: 'xlsx' },
      raw: { bucket: servers.bucket.name, object, generation: String(uploaded.metadata.generation), size: xlsxBytes },
    }).catch((error: unknown) => error as Error);
    if (out instanceof Error) {
      // The worker itself failed (e.g. no parser for the format yet): reported, not fatal.
      const lines = out.message.split('\n');
      transform = { unavailable: (lines.find((l) => /Error\b/.test(l)) ?? lines[0] ?? '').trim() };
    } else if (out.quarantined.length > 0) {
      transform = { unavailable: `transform quarantined it: ${out.quarantined.join('; ')}` };
    } else {
      const staged = out.published[0] as StagedMessage;
      const [sidecarJson] = await servers.bucket.file(staged.schemaObject).download();
      const sidecar = stagedSidecarSchema.parse(JSON.parse(sidecarJson.toString('utf8')));
      if (sidecar.rows !== rows || sidecar.columns.length !== XLSX_COLUMNS) {
        throw new Error(`xlsx: staged ${sidecar.rows} rows × ${sidecar.columns.length} columns, expected ${rows} × ${XLSX_COLUMNS}`);
      }
      transform = { ms: Math.round(out.ms), rowsPerSec: perSec(rows, out.ms), maxRssMB: mb(out.maxRssBytes) };
    }

    log('xlsx: exceljs baseline (non-streaming readFile)');
    const baseline = await runWorker({ ...job, stage: 'exceljs', file });
    if (baseline.rows !== rows) throw new Error(`exceljs read ${baseline.rows} rows, expected ${rows}`);
    const exceljs = { ms: Math.round(baseline.ms), rowsPerSec: perSec(rows, baseline.ms), maxRssMB: mb(baseline.maxRssBytes) };
    const ran = 'ms' in transform ? transform : undefined;
    return {
      rows, columns: XLSX_COLUMNS, xlsxBytes, transform, exceljs,
      ...(ran ? {
        vsExceljs: round2(baseline.ms / ran.ms),
        targets: { rowsPerSecAtLeast50k: ran.rowsPerSec >= XLSX_GOALS.rowsPerSec, peakRssUnder300MB: ran.maxRssMB < XLSX_GOALS.peakRssMB },
      } : {}),
    };
  } finally {
    await servers.close();
  }
}

export function formatXlsx(part: XlsxPart): string {
  const header = ['rows × columns', 'XLSX MB', 'exceljs readFile rows/s', 'exceljs peak RSS MB', 'transform → staged rows/s', 'transform / exceljs', 'transform peak RSS MB'];
  const t = part.transform;
  const line = [
    `${count(part.rows)} × ${part.columns}`, String(mb(part.xlsxBytes)), count(part.exceljs.rowsPerSec), String(part.exceljs.maxRssMB),
    ...('ms' in t ? [count(t.rowsPerSec), part.vsExceljs !== undefined ? ratio(part.vsExceljs) : '-', String(t.maxRssMB)] : ['not available', '-', '-']),
  ];
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const footer = part.targets
    ? `targets: ≥ ${count(XLSX_GOALS.rowsPerSec)} rows/s: ${met(part.targets.rowsPerSecAtLeast50k)}; peak RSS < ${XLSX_GOALS.peakRssMB} MB: ${met(part.targets.peakRssUnder300MB)}`
    : `transform not available: ${'unavailable' in t ? t.unavailable : ''}`;
  return [formatTable(header, [line]), '', footer].join('\n');
}
