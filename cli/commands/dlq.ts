// `sluice dlq list|replay|purge`: the dead letters notify keeps. Select by ids or by filter
// (--pipeline/--stage/--since/--until), never both. Replay is safe to repeat (the stages' ledgers
// decide whether anything happens again); purge by filter counts first and asks for --yes.
import { Command, Option } from 'commander';
import { stageNameSchema, type DeadLetterSelection } from '../../functions/ops/api-schemas';
import { instantOption, positiveInt, withExamples, type CommandKit, type Ctx } from '../command-kit';
import { confirmOrStop } from '../confirm';
import { CliError, EXIT } from '../exit-codes';
import { deadLetterText, deadLettersTable } from '../render/dead-letters';

function filterOptions(command: Command): Command {
  return command
    .option('--pipeline <name>', 'only this pipeline')
    .addOption(new Option('--stage <stage>', 'only dead letters of this stage').choices(stageNameSchema.options))
    .option('--since <when>', 'received at or after (instant, date, or age like 2h)', instantOption)
    .option('--until <when>', 'received before', instantOption);
}

function selectionOf(ids: string[], opts: Record<string, unknown>, dryRun: boolean): DeadLetterSelection {
  const filter = Object.fromEntries(['pipeline', 'stage', 'since', 'until'].filter((k) => opts[k] !== undefined).map((k) => [k, opts[k] as string]));
  const hasFilter = Object.keys(filter).length > 0;
  if (ids.length > 0 && hasFilter) throw new CliError('give dead-letter ids or filters (--pipeline, --stage, --since, --until), not both', EXIT.usage);
  if (ids.length === 0 && !hasFilter) throw new CliError('give dead-letter ids, or at least one filter (--pipeline, --stage, --since, --until)', EXIT.usage);
  return ids.length > 0 ? { ids, dryRun } : { filter, dryRun };
}

// `skipped`: letters the API did not act on, and why (a replay whose run is still going, say).
interface ActionResult {
  matched: number;
  done: number;
  dryRun: boolean;
  skipped?: Array<{ id: string; reason: string }>;
}

function printResult(ctx: Ctx, verb: 'replayed' | 'purged', result: ActionResult): void {
  if (ctx.out.format === 'json') ctx.out.json(result);
  else if (ctx.out.format === 'jsonl') ctx.out.jsonl([result]);
  else {
    ctx.out.data(result.dryRun ? `${result.matched} dead letter(s) match; dry run: nothing ${verb}` : `${verb} ${result.done} of ${result.matched} dead letter(s)`);
    if (result.skipped && result.skipped.length > 0) ctx.out.table(['SKIPPED', 'WHY'], result.skipped.map((s) => [s.id, s.reason]));
  }
}

export function registerDlq(program: Command, kit: CommandKit): void {
  const dlq = withExamples(program.command('dlq').description('dead letters: messages a stage gave up on, kept by notify'), 'sluice dlq list --pipeline demo --stage load');

  kit.run(
    withExamples(
      filterOptions(dlq.command('list').description('kept dead letters, newest first'))
        .option('--limit <n>', 'per page (1–500)', positiveInt(500), 50)
        .option('--cursor <cursor>', 'the page after this cursor'),
      'sluice dlq list --pipeline demo --since 7d',
    ),
    async (ctx, _args, opts) => {
      const page = await ctx.client().listDeadLetters({
        pipeline: opts.pipeline as string | undefined, stage: opts.stage as string | undefined, since: opts.since as string | undefined,
        until: opts.until as string | undefined, limit: opts.limit as number, cursor: opts.cursor as string | undefined,
      });
      if (ctx.out.format === 'json') ctx.out.json(page);
      else if (ctx.out.format === 'jsonl') ctx.out.jsonl(page.deadLetters);
      else {
        if (page.deadLetters.length === 0) ctx.out.message('no dead letters match');
        else deadLettersTable(ctx.out, page.deadLetters);
        if (page.nextCursor !== undefined) ctx.out.message(`more: add --cursor ${page.nextCursor}`);
      }
    },
  );

  kit.run(
    withExamples(dlq.command('get').description('one dead letter: its reason and the original message').argument('<id>'), 'sluice dlq get dl-7f3a'),
    async (ctx, [id]) => {
      const deadLetter = await ctx.client().getDeadLetter(id!);
      if (ctx.out.format === 'table') deadLetterText(ctx.out, deadLetter);
      else if (ctx.out.format === 'json') ctx.out.json(deadLetter);
      else ctx.out.jsonl([deadLetter]);
    },
  );

  kit.run(
    withExamples(
      filterOptions(dlq.command('replay').description('publish dead letters again to the stage that gave them up').argument('[ids...]'))
        .option('--dry-run', 'only count what matches', false),
      'sluice dlq replay --pipeline demo --stage transform --dry-run',
      'sluice dlq replay dl-7f3a dl-9c21',
    ),
    async (ctx, [ids], opts) => {
      const result = await ctx.client().replayDeadLetters(selectionOf((ids as unknown as string[] | undefined) ?? [], opts, opts.dryRun === true));
      printResult(ctx, 'replayed', result);
    },
  );

  kit.run(
    withExamples(
      filterOptions(dlq.command('purge').description('delete dead letters (by filter: counts first, then asks for --yes)').argument('[ids...]'))
        .option('--dry-run', 'only count what matches', false)
        .option('-y, --yes', 'purge without asking', false),
      'sluice dlq purge --pipeline demo --until 30d --yes',
    ),
    async (ctx, [ids], opts) => {
      const selection = selectionOf((ids as unknown as string[] | undefined) ?? [], opts, opts.dryRun === true);
      if (selection.filter !== undefined && !selection.dryRun) {
        const counted = await ctx.client().purgeDeadLetters({ ...selection, dryRun: true });
        ctx.out.message(`${counted.matched} dead letter(s) match`);
        if (counted.matched === 0) {
          printResult(ctx, 'purged', { matched: 0, done: 0, dryRun: false });
          return;
        }
        await confirmOrStop(ctx.out, `purge ${counted.matched} dead letter(s)?`, opts.yes === true);
      }
      printResult(ctx, 'purged', await ctx.client().purgeDeadLetters(selection));
    },
  );
}
