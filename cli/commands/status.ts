// `sluice status` and `sluice pipelines list`: every pipeline with its schedule and last run, and
// (status) the ops API's dependency health. status exits 1 when a required dependency is down, so
// a monitor can run it as its check.
import type { Command } from 'commander';
import type { HealthReport } from '../../functions/ops/api-schemas';
import { withExamples, type CommandKit } from '../command-kit';
import { CliError, EXIT } from '../exit-codes';
import { statusColor, type Output } from '../output';
import { pipelinesTable } from '../render/pipelines';
import { formatTime } from '../time-format';

function healthText(out: Output, health: HealthReport): void {
  const up = health.dependencies.filter((d) => d.ok).length;
  out.data(`health ${statusColor(health.status, out.color)}: ${up}/${health.dependencies.length} dependencies up (checked ${formatTime(health.checkedAt, out.time, true)})`);
  for (const d of health.dependencies.filter((dep) => !dep.ok)) {
    out.data(`  ${out.color.red('down')}  ${d.name}${d.pipeline ? ` (${d.pipeline})` : ''}${d.required ? '' : ' [optional]'}: ${d.error ?? 'not reachable'}`);
  }
}

export function registerStatus(program: Command, kit: CommandKit): void {
  kit.run(
    withExamples(program.command('status').description('pipelines with their last run, and the health of what they depend on'), 'sluice status', 'sluice status --utc -o json'),
    async (ctx) => {
      const client = ctx.client();
      const [pipelines, health] = await Promise.all([
        client.listPipelines(),
        // Health is a summary here: a failing check must not hide the pipelines.
        client.healthDetailed().catch((error: unknown) => {
          if (error instanceof CliError && error.exitCode === EXIT.auth) throw error;
          return error instanceof Error ? error : new Error(String(error));
        }),
      ]);
      if (ctx.out.format === 'json') ctx.out.json({ pipelines, health: health instanceof Error ? { error: health.message } : health });
      else if (ctx.out.format === 'jsonl') ctx.out.jsonl([{ pipelines, health: health instanceof Error ? { error: health.message } : health }]);
      else {
        if (pipelines.length === 0) ctx.out.message('no pipelines');
        else pipelinesTable(ctx.out, pipelines);
        ctx.out.data('');
        if (health instanceof Error) ctx.out.data(`health unknown: ${health.message}`);
        else healthText(ctx.out, health);
      }
      return health instanceof Error || health.status === 'down' ? EXIT.failed : EXIT.ok;
    },
  );

  const pipelines = withExamples(program.command('pipelines').description('the pipelines the ops API knows'), 'sluice pipelines list');
  kit.run(
    withExamples(pipelines.command('list').description('pipelines with schedule, next fire time, paused, last run'), 'sluice pipelines list -o json'),
    async (ctx) => {
      const list = await ctx.client().listPipelines();
      if (ctx.out.format === 'json') ctx.out.json(list);
      else if (ctx.out.format === 'jsonl') ctx.out.jsonl(list);
      else if (list.length === 0) ctx.out.message('no pipelines');
      else pipelinesTable(ctx.out, list);
    },
  );
}
