// The caps an archive is expanded under. An archive matches no import rule (its members do, by their
// own names), so it is held to the strictest caps any of the pipeline's rules declares: whatever
// member it holds, no rule's limit is exceeded on the way in.
import type { Pipeline } from '../../../shared/pipeline-definition';

export interface ArchiveLimits {
  // Total bytes all members inflate to.
  maxExpandedBytes: number;
  // Inflated bytes per compressed byte, of each member and of the archive as a whole.
  maxExpansionRatio: number;
  // Members (files) in one archive; each becomes a file of the run, and the archive's file record
  // lists their names (a Firestore document holds at most 1 MiB).
  maxMembers: number;
}

export const MAX_ARCHIVE_MEMBERS = 500;

// Ratios are judged only past this many inflated bytes: a small file of repeated rows may well
// compress 300:1 and is no bomb; a bomb is large by definition.
export const RATIO_FLOOR_BYTES = 1024 * 1024;

export function archiveLimitsOf(pipeline: Pipeline): ArchiveLimits {
  return {
    maxExpandedBytes: Math.min(...pipeline.imports.map((rule) => rule.limits.maxExpandedBytes)),
    maxExpansionRatio: Math.min(...pipeline.imports.map((rule) => rule.limits.maxExpansionRatio)),
    maxMembers: MAX_ARCHIVE_MEMBERS,
  };
}

// Whether `expanded` bytes from `compressed` bytes break the ratio cap.
export function overRatio(expanded: number, compressed: number, limits: ArchiveLimits): boolean {
  return expanded > RATIO_FLOOR_BYTES && expanded > limits.maxExpansionRatio * Math.max(compressed, 1);
}
