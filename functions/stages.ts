// Every stage's declaration, in pipeline order. Plain data: safe to import from infra/ and emulator/.
import type { StageDeclaration, StageName } from '../shared/stage-declaration';
import { aggregateStage } from './aggregate/stage';
import { fetchStage } from './fetch/stage';
import { loadStage } from './load/stage';
import { notifyStage } from './notify/stage';
import { transformStage } from './transform/stage';

export const stages: Readonly<Record<StageName, Readonly<StageDeclaration>>> = {
  fetch: fetchStage,
  transform: transformStage,
  load: loadStage,
  aggregate: aggregateStage,
  notify: notifyStage,
};

export const stageList: ReadonlyArray<Readonly<StageDeclaration>> = [fetchStage, transformStage, loadStage, aggregateStage, notifyStage];
