// The operator's controls on one run or pipeline: trigger, rerun, cancel, pause, resume. Each says
// on stderr what it did and prints what it made on stdout (a run id in table form, so
// `id=$(sluice trigger demo)` works); --wait follows the run and exits with its outcome.
import { Command, InvalidArgumentError, Option } from 'commander';
import { rerunStageSchema, type QueuedRunView } from '../../functions/ops/api-schemas';
import { intervalOption, withExamples, type CommandKit, type Ctx } from '../command-kit';
import { EXIT, type ExitCode } from '../exit-codes';
import { pipelinesTable } from '../render/pipelines';
import { runsTable } from '../render/runs';
import { follow } from './runs';

function dateOption(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new InvalidArgumentError('give a date YYYY-MM-DD');
  return value;
}

async function queued(ctx: Ctx, run: QueuedRunView, what: string, wait: boolean, intervalSeconds: number): Promise<ExitCode> {
  ctx.out.message(`${what}: run ${run.runId} (${run.pipeline}) is ${run.status}${wait ? '' : `; follow it with: sluice runs watch ${run.runId}`}`);
  if (wait) return follow(ctx, run.runId, intervalSeconds);
  if (ctx.out.format === 'table') ctx.out.data(run.runId);
  else if (ctx.out.format === 'json') ctx.out.json(run);
  else ctx.out.jsonl([run]);
  return EXIT.ok;
}

export function registerControls(program: Command, kit: CommandKit): void {
  kit.run(
    withExamples(
      program.command('trigger').description('run a pipeline now (optionally for a logical date, or as a dry run that lists what it would fetch)')
        .argument('<pipeline>')
        .option('--date <YYYY-MM-DD>', 'the logical (export) date to run for', dateOption)
        .option('--dry-run', 'list what would be fetched; claim and copy nothing', false)
        .option('--wait', 'follow the run and exit with its outcome', false)
        .addOption(intervalOption()),
      'sluice trigger demo --date 2026-11-30 --wait',
      'sluice trigger demo --dry-run --wait',
    ),
    async (ctx, [pipeline], opts) => {
      const run = await ctx.client().trigger({ pipeline: pipeline!, date: opts.date as string | undefined, dryRun: opts.dryRun === true });
      return queued(ctx, run, opts.dryRun === true ? 'dry run queued' : 'triggered', opts.wait === true, opts.interval as number);
    },
  );

  kit.run(
    withExamples(
      program.command('rerun').description('rerun a run as a new one (its parent is left as it was): all files or only the failed ones, from a stage')
        .argument('<runId>')
        .option('--failed', 'only the files that failed or were quarantined', false)
        .addOption(new Option('--from-stage <stage>', 'fetch: from the source again; transform: reuse the fetched raw files; load: reuse the staged files').choices(rerunStageSchema.options).default('fetch'))
        .option('--wait', 'follow the new run and exit with its outcome', false)
        .addOption(intervalOption()),
      'sluice rerun 2026-12-01-demo-1a2b --failed --from-stage transform --wait',
    ),
    async (ctx, [runId], opts) => {
      const run = await ctx.client().rerun(runId!, { files: opts.failed === true ? 'failed' : 'all', fromStage: opts.fromStage as 'fetch' | 'transform' | 'load' });
      return queued(ctx, run, `rerun of ${runId!}`, opts.wait === true, opts.interval as number);
    },
  );

  kit.run(
    withExamples(
      program.command('cancel').description('cancel a run cooperatively: the file in progress finishes, later stages do nothing for it')
        .argument('<runId>')
        .option('--wait', 'follow the run until it ends (exit 5 once cancelled)', false)
        .addOption(intervalOption()),
      'sluice cancel 2026-12-01-demo-1a2b --wait',
    ),
    async (ctx, [runId], opts) => {
      const run = await ctx.client().cancel(runId!);
      ctx.out.message(`cancel requested: run ${run.runId} is ${run.status}`);
      if (opts.wait === true) return follow(ctx, run.runId, opts.interval as number);
      if (ctx.out.format === 'table') runsTable(ctx.out, [run]);
      else if (ctx.out.format === 'json') ctx.out.json(run);
      else ctx.out.jsonl([run]);
      return EXIT.ok;
    },
  );

  for (const verb of ['pause', 'resume'] as const) {
    const description = verb === 'pause'
      ? 'pause a pipeline: scheduled triggers are recorded as paused runs (visible, never run) and the cloud scheduler job is paused'
      : 'resume a paused pipeline: its schedule fires again';
    kit.run(
      withExamples(program.command(verb).description(description).argument('<pipeline>'), `sluice ${verb} demo`),
      async (ctx, [name]) => {
        const pipeline = await (verb === 'pause' ? ctx.client().pause(name!) : ctx.client().resume(name!));
        ctx.out.message(pipeline.paused ? `paused ${pipeline.name}; resume it with: sluice resume ${pipeline.name}` : `resumed ${pipeline.name}`);
        if (ctx.out.format === 'table') pipelinesTable(ctx.out, [pipeline]);
        else if (ctx.out.format === 'json') ctx.out.json(pipeline);
        else ctx.out.jsonl([pipeline]);
      },
    );
  }
}
