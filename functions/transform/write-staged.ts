// Raw object (at its generation) → staged CSV + sidecar JSON in the bucket, streaming both ways.
// Each delivery writes objects of its own (a random token in the names, see stagedDataName), so a
// redelivery racing the first attempt cannot pair one attempt's CSV with the other's sidecar. The
// sidecar goes last and names the CSV's generation: a sidecar always describes a CSV that was
// completely written.
import { randomBytes } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import type { ObjectRef } from '../../shared/messages';
import { stagedDataName, stagedSchemaName, type FileLocation } from '../../shared/object-names';
import type { ImportRule } from '../../shared/pipeline-definition';
import type { StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';
import { transformCsv, type TransformCsvOptions } from './transform-csv';

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
  csv?: TransformCsvOptions;
}

export interface StagedResult {
  staged: ObjectRef;
  schemaObject: string;
  sidecar: StagedSidecar;
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

export async function writeStaged(input: WriteStagedInput): Promise<StagedResult> {
  const { bucket, raw, location, rule } = input;
  // MD5 rather than the client's default CRC32C: both verify the bytes end to end, but MD5 runs in
  // OpenSSL while the client's CRC32C is plain JavaScript and costs a tenth of the transform's CPU.
  const source = readRaw(bucket.file(raw.object, { generation: raw.generation }).createReadStream({ validation: 'md5' }), raw);
  const { token } = input;
  const dataName = stagedDataName(location, token);
  const dataFile = bucket.file(dataName);
  const resumable = (input.rawSize ?? 0) >= (input.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD);
  const sink = dataFile.createWriteStream({ resumable, validation: 'md5', contentType: 'text/csv; charset=utf-8', metadata: { metadata: { sluiceRaw: `${raw.object}#${raw.generation}` } } });

  const summary = await transformCsv(source, rule, sink, input.csv);
  const generation = dataFile.metadata.generation;
  if (generation === undefined || generation === null) throw new Error(`upload of ${dataName} finished without a generation`);
  const staged: ObjectRef = { bucket: bucket.name, object: dataName, generation: String(generation) };

  const sidecar: StagedSidecar = {
    v: 1,
    columns: summary.columns,
    rows: summary.rows,
    timeRanges: summary.timeRanges,
    encoding: summary.encoding,
    bom: summary.bom,
    delimiter: summary.delimiter,
    raw,
    staged,
    rule: rule.name,
    table: rule.table,
  };
  const schemaObject = stagedSchemaName(location, token);
  await bucket.file(schemaObject).save(JSON.stringify(sidecar, null, 2), { resumable: false, contentType: 'application/json' });
  return { staged, schemaObject, sidecar };
}
