// Object names in the pipeline bucket: `<area>/<pipeline>/<run id>/<file path>`. The file path is the
// source-relative path (e.g. `20261121/OrderDetails.csv`), so one run's files never collide.
import { createHash } from 'node:crypto';
import type { BucketArea } from './stage-declaration';

export interface FileLocation {
  pipeline: string;
  runId: string;
  // Source-relative path of the file, '/'-separated, no leading slash.
  path: string;
}

export function objectName(area: BucketArea, file: FileLocation): string {
  return `${area}/${file.pipeline}/${file.runId}/${file.path}`;
}

// Staged objects carry a token of the transform delivery that wrote them: two deliveries of one raw
// file running at once (a redelivery racing the first attempt) never overwrite each other's CSV or
// sidecar, so every staged message names a pair that belongs together. Load dedupes by the raw
// object's generation, and the staged area's lifecycle rule clears what a dead attempt left.
export function stagedDataName(file: FileLocation, token: string): string {
  return `${objectName('staged', file)}.${token}.csv`;
}

export function stagedSchemaName(file: FileLocation, token: string): string {
  return `${objectName('staged', file)}.${token}.schema.json`;
}

// The inverse of objectName; null for a name outside the layout (such a file is not Sluice's).
export function parseObjectName(name: string): (FileLocation & { area: BucketArea }) | null {
  const match = /^(raw|staged|archive|quarantine)\/([a-z][a-z0-9-]*)\/([A-Za-z0-9_-]+)\/(.+)$/.exec(name);
  if (!match) return null;
  const [, area, pipeline, runId, path] = match as unknown as [string, BucketArea, string, string, string];
  return { area, pipeline, runId, path };
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// A file's key on the run record: stable for the same path in the same run, safe as a document id.
export function fileKeyOf(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 24);
}
