// What `npm start` and `npm run emulator` tell a person about the operations surface once it runs:
// the dashboard (signed in by the dev token in the URL's fragment), the CLI, and how to run the
// user's own pipelines now.
import type { Pipeline } from '../shared/pipeline-definition';
import type { LocalOps } from './local-ops';

export function opsHintLines(ops: Pick<LocalOps, 'dashboardSignIn' | 'url' | 'opsFile'>, ownPipelines: readonly Pick<Pipeline, 'name' | 'schedule'>[]): string[] {
  const lines = [
    `dashboard: ${ops.dashboardSignIn}`,
    `ops API: ${ops.url} (dev token and URL in ${ops.opsFile}; the CLI reads them): npx sluice status, npx sluice runs list`,
  ];
  for (const pipeline of ownPipelines) {
    const schedule = pipeline.schedule ? `on "${pipeline.schedule.cron}" (${pipeline.schedule.timeZone})` : 'no schedule';
    lines.push(`your pipeline "${pipeline.name}": ${schedule}; run it now: npx sluice trigger ${pipeline.name}`);
  }
  return lines;
}

export function printOpsHint(say: (line: string) => void, ops: Pick<LocalOps, 'dashboardSignIn' | 'url' | 'opsFile'>, ownPipelines: readonly Pick<Pipeline, 'name' | 'schedule'>[]): void {
  say('');
  for (const line of opsHintLines(ops, ownPipelines)) say(line);
}
