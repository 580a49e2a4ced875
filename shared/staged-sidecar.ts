// The JSON written beside each staged CSV: what load needs to create or check the table, and what the
// run record shows. Written by transform, read by load; validated on read like any message. It is the
// contract between the two stages, so it lives in shared/ rather than in either of them.
import { z } from 'zod';
import { columnTypeSchema } from './pipeline-definition';
import { objectRefSchema } from './messages';

export const stagedColumnSchema = z.object({
  // Column name in the staged CSV and the table.
  name: z.string().min(1),
  // The header as it was in the source file.
  sourceName: z.string(),
  type: columnTypeSchema,
}).strict();
export type StagedColumn = z.infer<typeof stagedColumnSchema>;

// Version 2 describes the staged file only; how the source was read (encoding, delimiter, sheet,
// detected format…) goes to the run record instead (transform's stageSucceeded details.parse).
export const STAGED_SIDECAR_VERSION = 2;

export const stagedSidecarSchema = z.object({
  v: z.literal(STAGED_SIDECAR_VERSION),
  columns: z.array(stagedColumnSchema).min(1),
  rows: z.number().int().nonnegative(),
  timeRanges: z.record(z.string(), z.object({ min: z.string(), max: z.string() }).strict()),
  raw: objectRefSchema,
  // The staged CSV this sidecar describes (its generation ties the two together).
  staged: objectRefSchema,
  rule: z.string(),
  table: z.string(),
}).strict();
export type StagedSidecar = z.infer<typeof stagedSidecarSchema>;

// Version 1 (until issue 9) also carried the source's CSV facts. A file staged by the previous
// release may still be waiting for load when this one deploys: it reads as version 2.
const stagedSidecarV1Schema = stagedSidecarSchema.extend({
  v: z.literal(1),
  encoding: z.string(),
  bom: z.string().nullable(),
  delimiter: z.string(),
}).strict().transform(({ encoding: _encoding, bom: _bom, delimiter: _delimiter, ...rest }): StagedSidecar => ({ ...rest, v: STAGED_SIDECAR_VERSION }));

// What load accepts: either version, as version 2.
export const readableSidecarSchema = z.union([stagedSidecarSchema, stagedSidecarV1Schema]);
