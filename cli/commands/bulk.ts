// `sluice bulk rerun|cancel`: act on every run matching a filter. First the dry-run count (on
// stderr), then --yes (or a yes on a terminal), then the action's progress until it is done. Exits
// 1 when any run could not be acted on.
import { Command, Option } from 'commander';
import { rerunStageSchema, type BulkAction, type BulkRequest, type RunFilter } from '../../functions/ops/api-schemas';
import { instantOption, intervalOption, withExamples, type CommandKit, type Ctx } from '../command-kit';
import { confirmOrStop } from '../confirm';
import { EXIT, type ExitCode } from '../exit-codes';
import { createLiveView } from '../live-view';
import { statusColor } from '../output';
import { statusListOption, TRIGGERS } from './runs';

function filterOptions(command: Command): Command {
  return command
    .option('--pipeline <name>', 'only this pipeline')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. failed,partial)', statusListOption)
    .addOption(new Option('--trigger <trigger>', 'only runs started this way').choices(TRIGGERS))
    .option('--since <when>', 'started at or after (instant, date, or age like 2h)', instantOption)
    .option('--until <when>', 'started before', instantOption)
    .option('--dry-run', 'only count the matching runs', false)
    .option('-y, --yes', 'go ahead without asking', false)
    .addOption(intervalOption());
}

function filterOf(opts: Record<string, unknown>): RunFilter {
  const filter: RunFilter = {};
  if (opts.pipeline !== undefined) filter.pipeline = opts.pipeline as string;
  if (opts.status !== undefined) filter.status = (opts.status as string).split(',') as RunFilter['status'];
  if (opts.trigger !== undefined) filter.trigger = opts.trigger as RunFilter['trigger'];
  if (opts.since !== undefined) filter.since = opts.since as string;
  if (opts.until !== undefined) filter.until = opts.until as string;
  return filter;
}

const progressLine = (a: BulkAction, ctx: Ctx): string =>
  `bulk ${a.action} ${a.id}: ${statusColor(a.status, ctx.out.errColor)}  ${a.done}/${a.total} done${a.failed > 0 ? `, ${ctx.out.errColor.red(`${a.failed} failed`)}` : ''}`;

function printAction(ctx: Ctx, action: BulkAction): void {
  if (ctx.out.format === 'json') ctx.out.json(action);
  else if (ctx.out.format === 'jsonl') ctx.out.jsonl([action]);
  else {
    ctx.out.data(`bulk ${action.action} ${action.id} ${action.status}: ${action.done}/${action.total} done, ${action.failed} failed`);
    if (action.errors && action.errors.length > 0) ctx.out.table(['RUN', 'ERROR'], action.errors.map((e) => [e.runId, e.message]));
  }
}

async function runBulk(ctx: Ctx, request: Omit<BulkRequest, 'dryRun'>, opts: Record<string, unknown>): Promise<ExitCode> {
  const client = ctx.client();
  const counted = await client.startBulk({ ...request, dryRun: true });
  ctx.out.message(`${counted.total} run(s) match`);
  if (opts.dryRun === true || counted.total === 0) {
    printAction(ctx, counted);
    return EXIT.ok;
  }
  await confirmOrStop(ctx.out, `${request.action} ${counted.total} run(s)?`, opts.yes === true);
  let action = await client.startBulk({ ...request, dryRun: false });
  const view = createLiveView(ctx.out.streams.stderr, ctx.out.stderrIsTTY);
  view.update([progressLine(action, ctx)]);
  while (action.status !== 'done' && action.status !== 'failed') {
    await new Promise((resolve) => setTimeout(resolve, (opts.interval as number) * 1000));
    action = await client.getBulk(action.id);
    view.update([progressLine(action, ctx)]);
  }
  view.done();
  printAction(ctx, action);
  return action.status === 'failed' || action.failed > 0 ? EXIT.failed : EXIT.ok;
}

export function registerBulk(program: Command, kit: CommandKit): void {
  const bulk = withExamples(program.command('bulk').description('rerun or cancel every run matching a filter'), 'sluice bulk rerun --pipeline demo --status failed --since 24h');

  kit.run(
    withExamples(
      filterOptions(bulk.command('rerun').description('rerun every matching run (each as a new run with its parent named)'))
        .option('--failed', 'only the failed or quarantined files of each run', false)
        .addOption(new Option('--from-stage <stage>', 'the stage each rerun starts from').choices(rerunStageSchema.options).default('fetch')),
      'sluice bulk rerun --pipeline demo --status failed --since 24h --failed --yes',
    ),
    async (ctx, _args, opts) =>
      runBulk(ctx, { action: 'rerun', filter: filterOf(opts), rerun: { files: opts.failed === true ? 'failed' : 'all', fromStage: opts.fromStage as 'fetch' | 'transform' | 'load' } }, opts),
  );

  kit.run(
    withExamples(
      filterOptions(bulk.command('cancel').description('cancel every matching run')),
      'sluice bulk cancel --pipeline demo --status queued,running --yes',
    ),
    async (ctx, _args, opts) => runBulk(ctx, { action: 'cancel', filter: filterOf(opts) }, opts),
  );
}
