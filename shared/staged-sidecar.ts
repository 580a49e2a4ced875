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

export const stagedSidecarSchema = z.object({
  v: z.literal(1),
  columns: z.array(stagedColumnSchema).min(1),
  rows: z.number().int().nonnegative(),
  timeRanges: z.record(z.string(), z.object({ min: z.string(), max: z.string() }).strict()),
  encoding: z.string(),
  bom: z.string().nullable(),
  delimiter: z.string(),
  raw: objectRefSchema,
  // The staged CSV this sidecar describes (its generation ties the two together).
  staged: objectRefSchema,
  rule: z.string(),
  table: z.string(),
}).strict();
export type StagedSidecar = z.infer<typeof stagedSidecarSchema>;
