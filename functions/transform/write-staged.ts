// Raw object (at its generation) → staged CSV + sidecar JSON in the bucket, streaming both ways. The
// format comes from the content (detect-format.ts) and picks the parser (parsers/index.ts); an
// archive is handed back to the caller unread.
// Each delivery writes objects of its own (a random token in the names, see stagedDataName), so a
// redelivery racing the first attempt cannot pair one attempt's CSV with the other's sidecar. The
// sidecar goes last and names the CSV's generation: a sidecar always describes a CSV that was
// completely written.
import { randomBytes } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import type { ObjectRef } from '../../shared/messages';
import { baseName, stagedDataName, stagedSchemaName, type FileLocation } from '../../shared/object-names';
import type { ImportRule } from '../../shared/pipeline-definition';
import { STAGED_SIDECAR_VERSION, type StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';
import { detectFormat, DETECT_HEAD_BYTES, type ArchiveKind } from './detect-format';
import type { FileParser, ParsedFile, ParseFacts } from './parsers/file-parser';
import { parserFor } from './parsers/index';
import { peekHead } from './peek-head';
import { transformFile } from './transform-file';

export interface WriteStagedInput {
  bucket: Bucket;
  raw: ObjectRef;
  rawSize?: number;
  location: FileLocation;
  rule: ImportRule;
  // Names this attempt's staged objects (recorded on the run before writing; see cleanup-run.ts).
  token: string;
  // Uploads at least this big (judged by the raw size) go resumable; smaller ones in one request.
  resumableThresholdBytes?: number;
  csv?: { maxRecordChars?: number };
}

export interface StagedResult {
  kind: 'staged';
  staged: ObjectRef;
  schemaObject: string;
  sidecar: StagedSidecar;
  // How the source was read: for the run record and the log.
  facts: ParseFacts;
}

// The file is a compressed file or an archive: nothing was staged; the caller expands it.
export interface ArchiveResult {
  kind: 'archive';
  archive: ArchiveKind;
}

const DEFAULT_RESUMABLE_THRESHOLD = 32 * 1024 * 1024;

// The raw object at that generation does not exist (any more). Only the read of the raw object raises
// this, so a 404 elsewhere (a missing bucket) is never mistaken for "already done".
export class RawObjectGoneError extends Error {
  override name = 'RawObjectGoneError';
}

async function* readRaw(stream: AsyncIterable<unknown>, raw: ObjectRef): AsyncGenerator<unknown> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (error) {
    if (isNotFound(error)) throw new RawObjectGoneError(`gs://${raw.bucket}/${raw.object}#${raw.generation} does not exist`, { cause: error });
    throw error;
  }
}

// A fresh token per attempt: two attempts never share staged objects.
export function newStagedToken(): string {
  return randomBytes(6).toString('hex');
}

export async function writeStaged(input: WriteStagedInput): Promise<StagedResult | ArchiveResult> {
  const { bucket, raw, location, rule } = input;
  // MD5 rather than the client's default CRC32C: both verify the bytes end to end, but MD5 runs in
  // OpenSSL while the client's CRC32C is plain JavaScript and costs a tenth of the transform's CPU.
  const source = readRaw(bucket.file(raw.object, { generation: raw.generation }).createReadStream({ validation: 'md5' }), raw);
  const fileName = baseName(location.path);
  const peeked = await peekHead(source, DETECT_HEAD_BYTES);
  let detection;
  try {
    detection = detectFormat(peeked.head, fileName, rule.format);
  } catch (error) {
    await peeked.close();
    throw error;
  }
  if (detection.kind === 'archive') {
    await peeked.close();
    return { kind: 'archive', archive: detection.archive };
  }
  const parser = parserFor(detection.format);
  const parserInput = { bytes: peeked.bytes, head: peeked.head, rule, fileName, size: input.rawSize, maxRecordChars: input.csv?.maxRecordChars };
  let parsed: ParsedFile | undefined;
  if (!parser.stage) {
    try {
      parsed = await parser.parse(parserInput);
    } catch (error) {
      await peeked.close();
      throw error;
    }
  }

  const { token } = input;
  const dataName = stagedDataName(location, token);
  const dataFile = bucket.file(dataName);
  const resumable = (input.rawSize ?? 0) >= (input.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD);
  const sink = dataFile.createWriteStream({ resumable, validation: 'md5', contentType: 'text/csv; charset=utf-8', metadata: { metadata: { sluiceRaw: `${raw.object}#${raw.generation}` } } });

  const options = { detected: detection.detected };
  const summary = parsed ? await transformFile(parsed, rule, sink, options) : await (parser.stage as NonNullable<FileParser['stage']>)(parserInput, sink, options);
  const generation = dataFile.metadata.generation;
  if (generation === undefined || generation === null) throw new Error(`upload of ${dataName} finished without a generation`);
  const staged: ObjectRef = { bucket: bucket.name, object: dataName, generation: String(generation) };

  const sidecar: StagedSidecar = {
    v: STAGED_SIDECAR_VERSION,
    columns: summary.columns,
    rows: summary.rows,
    timeRanges: summary.timeRanges,
    raw,
    staged,
    rule: rule.name,
    table: rule.table,
  };
  const schemaObject = stagedSchemaName(location, token);
  await bucket.file(schemaObject).save(JSON.stringify(sidecar, null, 2), { resumable: false, contentType: 'application/json' });
  return { kind: 'staged', staged, schemaObject, sidecar, facts: summary.facts };
}
