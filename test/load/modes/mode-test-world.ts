// What the load-mode tests share: the load harness's bucket and per-test schema, files uploaded as
// fetch does (source path and mtime stamped), staged by the real transform handler and loaded by the
// real load handler.
import type pg from 'pg';
import type { LoadedMessage, StagedMessage } from '../../../shared/messages';
import type { Pipeline, PipelineInput } from '../../../shared/pipeline-definition';
import type { TestStageContext } from '../../support/stage-test-context';
import { useLoadHarness } from '../load-test-harness';

export interface ModeTestWorld {
  readonly schema: string;
  readonly db: pg.Pool;
  pipelineWith(imports: PipelineInput['imports']): Pipeline;
  // Uploads `content` as the source file `path` with that mtime and runs the real transform.
  stage(pipeline: Pipeline, path: string, content: string, mtime: string): Promise<StagedMessage>;
  load(pipeline: Pipeline, message: StagedMessage): Promise<TestStageContext>;
  rows(table: string, order?: string): Promise<Array<Record<string, unknown>>>;
  ledger(): Promise<Array<{ load_id: string; source_id: string; status: string; rows: string | null }>>;
}

// The load's run-record details and LoadedMessage, for a context that loaded one file.
export const detailsOf = (ctx: TestStageContext) => (ctx.runs.of('stageSucceeded')[0]?.detail as { details: Record<string, unknown> }).details;
export const loadedOf = (ctx: TestStageContext) => ctx.published[0]?.message as LoadedMessage;
export const outcomeOf = (ctx: TestStageContext) => (ctx.runs.of('finishFile')[0]?.detail as { outcome?: string } | undefined)?.outcome;

// The load harness (../load-test-harness.ts) as the mode tests call it: every file carries a source
// path and mtime, as fetch stamps them.
export function modeTestWorld(prefix: string): ModeTestWorld {
  const harness = useLoadHarness(prefix);
  return {
    get schema() { return harness.schema; },
    get db() { return harness.db; },
    pipelineWith: (imports) => harness.pipelineWith(imports),
    async stage(pipeline, path, content, mtime) {
      return (await harness.stage(pipeline, path.split('/').at(-1) as string, content, { path, mtime })).message;
    },
    load: (pipeline, message) => harness.load(pipeline, message),
    rows: (table, order) => harness.rows(table, order),
    ledger: () => harness.ledger(),
  };
}
