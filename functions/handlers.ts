// Every stage's handler, by stage name: what the local cloud serves. Runtime-only code (client
// libraries, parsers, drivers): never imported by infra/, which reads functions/stages.ts instead.
import type { StageName } from '../shared/stage-declaration';
import { handleAggregate } from './aggregate/handler';
import { handleFetch } from './fetch/handler';
import { handleLoad } from './load/handler';
import { handleNotify } from './notify/handler';
import type { StageHandler } from './runtime/context';
import { transformHandler } from './transform/handler';

export const handlers: Record<StageName, StageHandler> = {
  fetch: handleFetch,
  transform: transformHandler,
  load: handleLoad,
  aggregate: handleAggregate,
  notify: handleNotify,
};
