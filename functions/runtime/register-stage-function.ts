// The cloud entry: each stage's main.ts calls this once at module load. Configuration is parsed here,
// at start-up, so a bad setting fails the deploy's first request loudly, naming the field.
import * as functions from '@google-cloud/functions-framework';
import { pipelineNamed } from '../../pipelines/index';
import { ops } from '../../pipelines/ops';
import type { StageDeclaration } from '../../shared/stage-declaration';
import type { StageHandler } from './context';
import { servePush } from './serve-push';
import { createStageRuntime } from './stage-runtime';

export function registerStageFunction(stage: Readonly<StageDeclaration>, handler: StageHandler, env: Record<string, string | undefined>): void {
  // Run state is kept as long as the ops definition says (Firestore TTL on expiresAt).
  const runtime = createStageRuntime({ stage, handler, env, pipelineNamed, retention: ops.retention });
  // The entry point name is the stage name (the Pulumi program sets buildConfig.entryPoint to it).
  functions.http(stage.name, servePush(runtime.handle));
}
