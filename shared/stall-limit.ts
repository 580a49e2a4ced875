// How long a stage may legitimately take with a message before its run counts as stalled: every
// delivery attempt may run to the stage's timeout and wait out the longest backoff before the next.
// Past that, Pub/Sub has dead-lettered the message (which notify handles) or it was lost: either
// way nothing will move the run again, so the watchdog fails it. Plain data, derived from the
// declarations, so the runtime and the docs agree.
import type { StageDeclaration, StageName } from './stage-declaration';

export function stageStallSeconds(stage: Pick<StageDeclaration, 'maxAttempts' | 'timeoutSeconds' | 'backoff'>): number {
  return stage.maxAttempts * (stage.timeoutSeconds + stage.backoff.maxSeconds);
}

export function stallLimitsOf(stages: ReadonlyArray<Readonly<StageDeclaration>>, overrideMinutes?: number): Record<StageName, number> {
  const limits = {} as Record<StageName, number>;
  for (const stage of stages) limits[stage.name] = overrideMinutes !== undefined ? overrideMinutes * 60 : stageStallSeconds(stage);
  return limits;
}
