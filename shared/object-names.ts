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

const AREAS: ReadonlySet<string> = new Set<BucketArea>(['raw', 'staged', 'archive', 'quarantine']);
const PIPELINE_SEGMENT = /^[a-z][a-z0-9-]*$/;
const RUN_SEGMENT = /^[A-Za-z0-9_-]+$/;

// The inverse of objectName; null for a name outside the layout (such a file is not Sluice's). The
// file path is taken as it is, whatever characters it holds (no regex over it: `.` would stop at a
// line terminator), so every location objectName can build parses back to itself.
export function parseObjectName(name: string): (FileLocation & { area: BucketArea }) | null {
  const first = name.indexOf('/');
  const second = name.indexOf('/', first + 1);
  const third = name.indexOf('/', second + 1);
  if (first < 0 || second < 0 || third < 0) return null;
  const area = name.slice(0, first);
  const pipeline = name.slice(first + 1, second);
  const runId = name.slice(second + 1, third);
  const path = name.slice(third + 1);
  if (!AREAS.has(area) || !PIPELINE_SEGMENT.test(pipeline) || !RUN_SEGMENT.test(runId) || path === '') return null;
  return { area: area as BucketArea, pipeline, runId, path };
}

// Cloud Storage's own rules for an object name (cloud.google.com/storage/docs/objects#naming): 1 to
// 1,024 bytes of UTF-8, no carriage return or line feed, not "." or "..", not under
// ".well-known/acme-challenge/". A request breaking them is answered 400. Null when the name is fine.
export const MAX_OBJECT_NAME_BYTES = 1024;
// With the u flag a surrogate range matches only a surrogate that is not half of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export function cloudStorageNameProblem(name: string): string | null {
  if (LONE_SURROGATE.test(name)) return 'it is not valid Unicode (a lone surrogate), so it has no UTF-8 form';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) return 'it is empty';
  if (bytes > MAX_OBJECT_NAME_BYTES) return `it is ${bytes} bytes of UTF-8, over Cloud Storage's ${MAX_OBJECT_NAME_BYTES}`;
  if (/[\r\n]/.test(name)) return 'it holds a carriage return or line feed, which Cloud Storage refuses';
  if (name === '.' || name === '..') return `Cloud Storage refuses the name "${name}"`;
  if (name.startsWith('.well-known/acme-challenge/')) return 'Cloud Storage refuses names under .well-known/acme-challenge/';
  return null;
}

// Characters no file path may hold here, beyond Cloud Storage's rules: C0 controls (NUL, tab, CR, LF,
// ESC...), DEL and C1 controls (which Google advises against: they break XML listings), and the
// Unicode line and paragraph separators, which break a line in logs, reports and mails as LF does.
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function hasUnsafeCharacter(name: string): boolean {
  return UNSAFE_CHARACTER.test(name);
}

// The transform token in staged names (hex of 6 random bytes, see transform/write-staged.ts): the
// longest name the layout derives from a location is its staged schema, so that one must fit.
const STAGED_TOKEN_CHARS = 12;

// Why the layout cannot hold a source file under this location; null when every name Sluice derives
// from it (raw, staged, archive, quarantine) is one Cloud Storage accepts and parses back to the same
// location. Fetch asks this before it uploads, so an unusable name fails that one file at once
// instead of being answered 400 (and retried) or fetched and then ignored by transform.
export function fileLocationProblem(file: FileLocation): string | null {
  const { path } = file;
  if (LONE_SURROGATE.test(path)) return 'its name is not valid Unicode (a lone surrogate)';
  const unsafe = UNSAFE_CHARACTER.exec(path);
  if (unsafe) return `its name holds the control or line-separator character ${codePointOf(unsafe[0])}`;
  if (path.startsWith('/')) return 'its path is absolute';
  for (const segment of path.split('/')) {
    if (segment === '') return 'its path has an empty segment';
    if (segment === '.' || segment === '..') return `its path has a "${segment}" segment`;
  }
  const longest = stagedSchemaName(file, 'x'.repeat(STAGED_TOKEN_CHARS));
  for (const name of [objectName('raw', file), longest]) {
    const problem = cloudStorageNameProblem(name);
    if (problem) return `its object name ${name === longest ? 'in the staged area ' : ''}is unusable: ${problem}`;
  }
  for (const area of AREAS) {
    const back = parseObjectName(objectName(area as BucketArea, file));
    if (!back || back.pipeline !== file.pipeline || back.runId !== file.runId || back.path !== path) {
      return 'its object name does not parse back to the same file';
    }
  }
  return null;
}

function codePointOf(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

// A file name as it may appear in a message, log line or mail: control and line-separator characters
// spelled as \uXXXX, so a hostile name cannot break a line or forge one.
export function printableName(name: string): string {
  return name.replace(new RegExp(UNSAFE_CHARACTER.source, 'g'), (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// A file's key on the run record: stable for the same path in the same run, safe as a document id.
export function fileKeyOf(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 24);
}

// A member of an archive (an entry of a .zip, the content of a .gz) becomes a raw object of its own,
// under the archive's own path: `20261121/export.zip` + `Items.csv` → `20261121/export.zip/Items.csv`.
// Its base name is then the member's own, so import rules match it as they match any file, and two
// archives' members never collide. Check the result with fileLocationProblem before uploading.
export function archiveMemberPath(archivePath: string, memberPath: string): string {
  return `${archivePath}/${memberPath}`;
}

// Why a member path, as the archive names it, is refused; null when it is an ordinary relative path.
// An archive is untrusted input: a name that climbs out of it (`../`), starts at a root (`/`, `C:`),
// uses backslashes (a Windows path a later tool may read as one) or holds a NUL or other control
// character is a crafted or broken archive, never a file to load.
export function archiveMemberPathProblem(memberPath: string): string | null {
  if (memberPath === '') return 'it is empty';
  if (LONE_SURROGATE.test(memberPath)) return 'it is not valid Unicode (a lone surrogate)';
  const unsafe = UNSAFE_CHARACTER.exec(memberPath);
  if (unsafe) return `it holds the control or line-separator character ${codePointOf(unsafe[0])}`;
  if (memberPath.includes('\\')) return 'it holds a backslash';
  if (/^[A-Za-z]:/.test(memberPath)) return 'it starts with a drive letter (an absolute path)';
  if (memberPath.startsWith('/')) return 'it is an absolute path';
  const segments = memberPath.split('/');
  if (segments.includes('..')) return 'it climbs out of the archive (a ".." segment)';
  // A trailing '/' is a directory entry, which the caller skips before asking.
  if (segments.some((s) => s === '' || s === '.')) return 'it has an empty or "." segment';
  return null;
}
