// `npm run bench` options. Parsing lives here, apart from run.ts, so a test can check it without
// starting anything.
import path from 'node:path';

export const PARTS = ['throughput', 'modes', 'xlsx', 'demo', 'gmail', 'drive', 'ops', 'bundles'] as const;
export type Part = (typeof PARTS)[number];

export interface Options {
  // throughput: the small size and the big one (the peak-RSS ratio compares them).
  rows: number;
  bigRows: number;
  // modes: rows of the file that append, replace and merge each load.
  modeRows: number;
  // xlsx: rows of the 10-column workbook.
  xlsxRows: number;
  // gmail: mails (× 2 attachments) the Gmail source fetches from the Google API double.
  gmailMessages: number;
  // ops: run records seeded in the Firestore emulator before GET /runs is measured.
  opsRuns: number;
  quick: boolean;
  demoRuns: number;
  parts: Part[];
  // Where the stage workers write V8 CPU profiles (--cpu-prof), when given.
  profileDir?: string;
}

export const FULL = { rows: 1_000_000, bigRows: 10_000_000, modeRows: 1_000_000, xlsxRows: 200_000, demoRuns: 10, gmailMessages: 1_000, opsRuns: 100_000 };
// --quick: every part still runs against its baseline, at sizes that take seconds, not minutes.
export const QUICK = { rows: 20_000, bigRows: 100_000, modeRows: 20_000, xlsxRows: 5_000, demoRuns: 2, gmailMessages: 50, opsRuns: 5_000 };

export const USAGE = 'npm run bench -- [--quick] [--parts LIST] [--rows N] [--big-rows N] [--mode-rows N] [--xlsx-rows N] [--demo-runs N] [--gmail-messages N] [--ops-runs N] [--profile DIR]';

// `env`: npm's own. `npm run bench --quick` (without `--`) gives npm the flag: npm keeps it as its
// config `quick` (env npm_config_quick) and the script never sees it, so it would silently run the
// full sizes. Refused instead, saying how to pass it.
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = {}): Options {
  const swallowed = ['quick', 'parts', 'rows', 'big_rows', 'mode_rows', 'xlsx_rows', 'demo_runs', 'gmail_messages', 'ops_runs', 'profile'].filter((name) => env[`npm_config_${name}`] !== undefined);
  if (swallowed.length > 0) {
    throw new Error(`npm took ${swallowed.map((n) => `--${n.replace(/_/g, '-')}`).join(', ')} as its own option; pass the bench's options after "--": ${USAGE}`);
  }
  const given: Partial<Omit<Options, 'quick' | 'parts' | 'profileDir'>> = {};
  let quick = false;
  let parts: Part[] = [];
  let profileDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${arg} needs a positive whole number`);
      return n;
    };
    if (arg === '--rows') given.rows = value();
    else if (arg === '--big-rows') given.bigRows = value();
    else if (arg === '--mode-rows') given.modeRows = value();
    else if (arg === '--xlsx-rows') given.xlsxRows = value();
    else if (arg === '--demo-runs') given.demoRuns = value();
    else if (arg === '--gmail-messages') given.gmailMessages = value();
    else if (arg === '--ops-runs') given.opsRuns = value();
    else if (arg === '--quick') quick = true;
    else if (arg === '--parts') {
      const wanted = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = wanted.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (wanted.length === 0 || unknown.length > 0) throw new Error(`--parts takes a comma-separated list of ${PARTS.join(', ')}${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
      parts = wanted as Part[];
    } else if (arg === '--profile') profileDir = path.resolve(argv[++i] ?? '.sluice/profiles');
    else throw new Error(`unknown option ${arg} (${USAGE})`);
  }
  // --quick leaves out only the bundles (a full esbuild of every stage); --parts can still ask for it.
  if (parts.length === 0) parts = quick ? PARTS.filter((p) => p !== 'bundles') : [...PARTS];
  const sizes = { ...(quick ? QUICK : FULL), ...given };
  if (sizes.bigRows <= sizes.rows) throw new Error(`--big-rows (${sizes.bigRows}) must be more than --rows (${sizes.rows})`);
  return { ...sizes, quick, parts, ...(profileDir ? { profileDir } : {}) };
}
