// One implementation per load mode, keyed by the list the definition declares (shared/pipeline-
// definition.ts `loadModes`): a mode added there and not here fails the type check.
import type { LoadMode } from '../../../shared/pipeline-definition';
import { appendMode } from './append';
import type { LoadModeImplementation } from './load-mode';
import { mergeMode } from './merge';
import { replaceMode } from './replace';

export const loadModeImplementations: Record<LoadMode, LoadModeImplementation> = {
  append: appendMode,
  replace: replaceMode,
  merge: mergeMode,
};
