// `npm run bench`, in parts (all by default; `--parts` picks some), each against a baseline measured
// in the same run:
// - throughput: transform + load of a generated CSV at 1M and 10M rows on the local cloud, each stage
//   in a child process so its peak RSS is its own (throughput.ts): transform vs a bare papaparse parse,
//   load vs a raw COPY of the same staged bytes, peak RSS at 10M vs 1M.
// - modes: load's append, replace and merge (10% of keys updated) at 1M rows, vs append (load-modes.ts).
// - xlsx: a 200k × 10 workbook through the transform (format 'xlsx') vs exceljs' readFile (xlsx.ts).
// - demo: the demo pipeline end to end on the whole local cloud, --demo-runs times (demo-latency.ts).
// - gmail: the Gmail source fetching --gmail-messages mails × 2 attachments from the Google API double:
//   mails/s, peak RSS, quota units per mail (gmail-fetch.ts).
// - drive: a 200 MB file through the Drive destination's resumable upload to the Google API double,
//   MB/s and peak RSS vs reading it from the GCS emulator (drive-upload.ts).
// - ops: GET /runs of the ops API through its real HTTP server over --ops-runs run records seeded in
//   the Firestore emulator: first page, deep cursor pages, filters, vs GET /health and one document
//   get; goal p95 ≤ 150 ms at 100,000 runs (ops-list.ts).
// - bundles: `npm run build`, then the size and cold load time of each stage package
//   (scripts/measure-bundles.ts, which measures what the build wrote and writes .sluice/bundles.json).
// `--quick`: every part but bundles at small sizes (options.ts), in about a minute.
// Whatever happens (failure, Ctrl-C), servers are stopped and temp folders removed (cleanup.ts).
import { DEFAULT_CHUNK_BYTES } from '../functions/notify/destinations/drive/resumable-upload';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupAll, installSignalCleanup, interruptedBy, onCleanup } from './cleanup';
import { benchDemoLatency, formatDemoLatency, type DemoLatencyResult } from './demo-latency';
import { benchGmailFetch, formatGmail, type GmailPart } from './gmail-fetch';
import { benchDriveUpload, formatDrive, type DrivePart } from './drive-upload';
import { benchLoadModes, formatModes, type ModesPart } from './load-modes';
import { benchOpsList, formatOps, type OpsPart } from './ops-list';
import { parseArgs } from './options';
import { profileWorkersInto } from './run-worker';
import { benchThroughput, formatThroughput, type ThroughputPart } from './throughput';
import { benchXlsx, formatXlsx, type XlsxPart } from './xlsx';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// Every part runs on the local cloud, where no metadata server exists: without this, google-auth
// probes for one (a request that would leave loopback) and prints a MetadataLookupWarning. The
// workers and scripts the parts start inherit it.
process.env.METADATA_SERVER_DETECTION ??= 'none';

// The bundle part runs as the scripts it always was, in their own processes.
function runScript(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: path.resolve(import.meta.dirname, '..'), stdio: 'inherit' });
    const done = onCleanup(`stop ${command}`, () => void (child.exitCode === null && child.kill('SIGTERM')));
    child.on('error', (error) => void done().then(() => reject(error)));
    child.on('close', (code) => void done().then(() => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)))));
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2), process.env);
  installSignalCleanup(log);
  profileWorkersInto(options.profileDir);
  let throughput: ThroughputPart | undefined;
  let modes: ModesPart | undefined;
  let xlsx: XlsxPart | undefined;
  let demo: DemoLatencyResult | undefined;
  let gmail: GmailPart | undefined;
  let drive: DrivePart | undefined;
  let opsList: OpsPart | undefined;
  if (options.parts.includes('throughput')) throughput = await benchThroughput(options, log);
  if (options.parts.includes('modes')) modes = await benchLoadModes(options, log);
  if (options.parts.includes('xlsx')) xlsx = await benchXlsx(options, log);
  if (options.parts.includes('demo')) demo = await benchDemoLatency({ runs: options.demoRuns, log });
  if (options.parts.includes('gmail')) gmail = await benchGmailFetch(options.gmailMessages, log);
  if (options.parts.includes('drive')) drive = await benchDriveUpload(options, log);
  if (options.parts.includes('ops')) opsList = await benchOpsList({ runs: options.opsRuns, samples: options.quick ? 10 : 20, log });

  console.log(`\nSluice bench (${os.cpus().length} CPU, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${options.quick ? ', --quick' : ''})`);
  if (throughput) {
    console.log('\ntransform + load (8 columns; GCS emulator on disk; PostgreSQL fsync off)\n');
    console.log(formatThroughput(throughput));
  }
  if (modes) {
    console.log(`\nload modes, ${modes.rows.toLocaleString('en-US')} rows (the handler, rule options only; replace and merge into a table holding the previous snapshot)\n`);
    console.log(formatModes(modes));
  }
  if (xlsx) {
    console.log('\nXLSX → staged (transform handler, format xlsx) vs exceljs non-streaming readFile of the same file\n');
    console.log(formatXlsx(xlsx));
  }
  if (demo) {
    console.log('\ndemo pipeline, trigger → run terminal (report mailed), in-process functions on the local cloud\n');
    console.log(formatDemoLatency(demo));
  }
  if (gmail) {
    console.log('\nGmail source: fetch handler → Google API double (real googleapis client) → GCS emulator, then labelled\n');
    console.log(formatGmail(gmail));
  }
  if (drive) {
    console.log(`\nDrive destination: ${drive.megabytes} MB from the GCS emulator to the Google API double (resumable, ${DEFAULT_CHUNK_BYTES / 1048576} MiB chunks)\n`);
    console.log(formatDrive(drive));
  }
  if (opsList) {
    console.log(`\nops API: GET /runs over ${opsList.runs.toLocaleString('en-US')} run records in the Firestore emulator (real HTTP server, views and RunStore; ${'dev token'})\n`);
    console.log(formatOps(opsList));
  }
  const out = path.resolve(import.meta.dirname, '..', '.sluice', 'bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    at: new Date().toISOString(), cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg(), quick: options.quick, parts: options.parts,
    ...(throughput ? { results: throughput.results, rssGrowth: throughput.rssGrowth, targets: throughput.targets } : {}),
    ...(modes ? { modes } : {}),
    ...(xlsx ? { xlsx } : {}),
    ...(demo ? { demo } : {}),
    ...(gmail ? { gmail } : {}),
    ...(drive ? { drive } : {}),
    ...(opsList ? { ops: opsList } : {}),
  }, null, 2) + '\n');
  console.log(`written to ${path.relative(process.cwd(), out)}`);

  if (options.parts.includes('bundles')) {
    console.log('\nstage packages (npm run build, then scripts/measure-bundles.ts)\n');
    await runScript('npm', ['run', 'build']);
    await runScript(process.execPath, ['--import', 'tsx', 'scripts/measure-bundles.ts']);
  }
}

main().then(
  () => cleanupAll(),
  async (error: unknown) => {
    const signal = interruptedBy();
    if (!signal) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    await cleanupAll();
    process.exit(signal === 'SIGINT' ? 130 : signal ? 143 : 1);
  },
);
