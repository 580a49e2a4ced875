// `sluice runs list|get|logs|watch`: reading runs, and following one until it ends.
import { Command, InvalidArgumentError, Option } from 'commander';
import { runStatusSchema, type RunSummary } from '../../functions/ops/api-schemas';
import type { Query } from '../api-client';
import { instantOption, intervalOption, positiveInt, withExamples, type CommandKit, type Ctx } from '../command-kit';
import { exitCodeOfRunStatus, type ExitCode } from '../exit-codes';
import { logLines } from '../render/logs';
import { runDetailText, runsTable } from '../render/runs';
import { watchRun } from '../watch-run';

export function statusListOption(value: string): string {
  for (const status of value.split(',')) {
    if (!runStatusSchema.safeParse(status).success) throw new InvalidArgumentError(`unknown status "${status}" (one of ${runStatusSchema.options.join(', ')})`);
  }
  return value;
}

export const TRIGGERS = ['schedule', 'manual', 'retry', 'push'] as const;

export function registerRuns(program: Command, kit: CommandKit): void {
  const runs = withExamples(program.command('runs').description('list runs, show one, read its logs, watch it'), 'sluice runs list --pipeline demo --status failed');

  kit.run(
    withExamples(
      runs.command('list').description('runs, newest first')
        .option('--pipeline <name>', 'only this pipeline')
        .option('--status <statuses>', 'only these statuses, comma-separated (e.g. failed,partial)', statusListOption)
        .addOption(new Option('--trigger <trigger>', 'only runs started this way').choices(TRIGGERS))
        .option('--since <when>', 'started at or after (instant, date, or age like 2h)', instantOption)
        .option('--until <when>', 'started before (instant, date, or age)', instantOption)
        .option('--parent <runId>', 'only reruns of this run')
        .option('--limit <n>', 'runs per page (1–500)', positiveInt(500), 50)
        .option('--cursor <cursor>', 'the page after this cursor (printed after each page)')
        .option('--all', 'follow the cursor to the last page', false),
      'sluice runs list --pipeline demo --status failed,partial --since 24h',
      'sluice runs list -o jsonl --all | jq -r .runId',
    ),
    async (ctx, _args, opts) => {
      const query: Query = {
        pipeline: opts.pipeline as string | undefined, status: opts.status as string | undefined, trigger: opts.trigger as string | undefined,
        since: opts.since as string | undefined, until: opts.until as string | undefined, parent: opts.parent as string | undefined,
        limit: opts.limit as number, cursor: opts.cursor as string | undefined,
      };
      const all: RunSummary[] = [];
      let nextCursor: string | undefined;
      do {
        const page = await ctx.client().listRuns({ ...query, cursor: nextCursor ?? query.cursor });
        all.push(...page.runs);
        nextCursor = page.nextCursor;
      } while (opts.all === true && nextCursor !== undefined);
      printRuns(ctx, all, nextCursor);
    },
  );

  kit.run(
    withExamples(runs.command('get').description('one run: its error first, then stages, files, lineage').argument('<runId>'), 'sluice runs get 2026-12-01-demo-1a2b'),
    async (ctx, [runId]) => {
      const detail = await ctx.client().getRun(runId!);
      if (ctx.out.format === 'table') runDetailText(ctx.out, detail);
      else if (ctx.out.format === 'json') ctx.out.json(detail);
      else ctx.out.jsonl([detail]);
    },
  );

  kit.run(
    withExamples(
      runs.command('logs').description("a run's log lines (Cloud Logging when deployed, the local log stream locally)").argument('<runId>')
        .option('--limit <n>', 'lines per page (1–1000)', positiveInt(1000), 200)
        .option('--page-token <token>', 'the page after this token')
        .option('--all', 'every page', false),
      'sluice runs logs 2026-12-01-demo-1a2b --all | grep ERROR',
    ),
    async (ctx, [runId], opts) => {
      let pageToken = opts.pageToken as string | undefined;
      const entries = [];
      do {
        const page = await ctx.client().getRunLogs(runId!, { limit: opts.limit as number, pageToken });
        entries.push(...page.entries);
        pageToken = page.nextPageToken;
      } while (opts.all === true && pageToken !== undefined);
      if (ctx.out.format === 'table') {
        logLines(ctx.out, entries);
        if (pageToken !== undefined) ctx.out.message(`more: sluice runs logs ${runId!} --page-token ${pageToken}`);
      } else if (ctx.out.format === 'json') ctx.out.json({ entries, ...(pageToken !== undefined ? { nextPageToken: pageToken } : {}) });
      else ctx.out.jsonl(entries);
    },
  );

  kit.run(
    withExamples(
      runs.command('watch').description("follow a run's stages (files, rows) live; exits with its outcome (0 ok, 1 failed, 5 cancelled)")
        .argument('<runId>').addOption(intervalOption()),
      'sluice runs watch 2026-12-01-demo-1a2b && echo loaded',
    ),
    async (ctx, [runId], opts) => follow(ctx, runId!, opts.interval as number),
  );
}

// Lists in the chosen format: json is the API's page ({ runs, nextCursor }), jsonl one run a line.
export function printRuns(ctx: Ctx, runs: RunSummary[], nextCursor?: string): void {
  if (ctx.out.format === 'json') {
    ctx.out.json({ runs, ...(nextCursor !== undefined ? { nextCursor } : {}) });
    return;
  }
  if (ctx.out.format === 'jsonl') {
    ctx.out.jsonl(runs);
    return;
  }
  if (runs.length === 0) ctx.out.message('no runs match');
  else runsTable(ctx.out, runs);
  if (nextCursor !== undefined) ctx.out.message(`more: add --cursor ${nextCursor} (or --all)`);
}

// Watches a run to its end and prints it as it ended: the run page (table), the detail (json), or
// every change as it happened (jsonl). The exit code is the run's outcome.
export async function follow(ctx: Ctx, runId: string, intervalSeconds: number): Promise<ExitCode> {
  const detail = await watchRun(ctx.client(), runId, ctx.out, {
    intervalMs: intervalSeconds * 1000,
    onChange: ctx.out.format === 'jsonl' ? (d) => ctx.out.jsonl([d]) : undefined,
  });
  if (ctx.out.format === 'table') runDetailText(ctx.out, detail);
  else if (ctx.out.format === 'json') ctx.out.json(detail);
  return exitCodeOfRunStatus(detail.run.status);
}
