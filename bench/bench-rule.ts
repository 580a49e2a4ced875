// The import rule every CSV bench stages its files with (load modes vary only `mode` and `key`).
// Apart from stage-worker.ts, which runs its job when imported.
export const BENCH_RULE = { name: 'sales', match: '^Sales', table: 'sales', mode: 'append' as const };
