// Who may see and operate this deployment's pipelines (the ops API, `sluice` CLI and dashboard), and
// how long run history is kept. See shared/ops-definition.ts for every field.
import { defineOps } from '../shared/ops-definition';

export const ops = defineOps({
  viewers: [],
  operators: [],
  retention: { runDays: 365, fileDays: 30, deadLetterDays: 30 },
});
