// Everything after the cells, shared by every format: a parser's rows (parsers/file-parser.ts) → the
// staged CSV (through a Writable the caller provides) plus what the sidecar and the run record need.
// The rows' rules live in staged-rows.ts; this drives it over the parser's batches and streams the
// lines out.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImportRule } from '../../shared/pipeline-definition';
import type { Cell, ParsedFile } from './parsers/file-parser';
import { StagedRows, type StagedLines, type TransformFileOptions, type TransformSummary } from './staged-rows';

export type { TransformFileOptions, TransformSummary } from './staged-rows';

// Flush the output in pieces of about this size: few enough writes, small enough buffers. As Latin-1
// text a piece stays under V8's large-object size (128 KiB): a bigger one, flattened for the write, is a
// large object, and one alive at a scavenge goes straight to old space (steady old-space growth).
const FLUSH_CHARS = 64 * 1024;

class StringLines implements StagedLines {
  buffer = '';
  text(line: string): void {
    this.buffer += line;
  }
}

// Throws MalformedFileError (with the data row when there is one) for a file to quarantine; any
// other error comes from the source or the sink and is for the caller to classify.
export async function transformFile(parsed: ParsedFile, rule: ImportRule, sink: Writable, options: TransformFileOptions = {}): Promise<TransformSummary> {
  try {
    return await transformInto(parsed, rule, sink, options);
  } catch (error) {
    // Abort the upload: nothing half-written may appear as a staged object.
    if (!sink.destroyed) sink.destroy();
    throw error;
  }
}

async function transformInto(parsed: ParsedFile, rule: ImportRule, sink: Writable, options: TransformFileOptions): Promise<TransformSummary> {
  const lines = new StringLines();
  const rows = new StagedRows(rule, parsed.strictWidth === true, lines);

  async function* output(): AsyncGenerator<string> {
    try {
      reading: for await (const batch of parsed.batches) {
        const batchRows = batch.rows;
        // Read once per batch: a parser sets it before it yields the rows that hold a NUL.
        const mayHoldNul = parsed.mayHoldNul === true;
        for (let r = 0; r < batchRows.length; r++) {
          const row = batchRows[r] as Cell[];
          const sourceRow = batch.firstRow + r;
          if (!rows.next(row, sourceRow, mayHoldNul)) break reading;
          if (lines.buffer.length >= FLUSH_CHARS) {
            yield lines.buffer;
            lines.buffer = '';
          }
        }
      }
    } catch (error) {
      throw rows.reported(error);
    }
    rows.end();
    if (lines.buffer) yield lines.buffer;
  }

  await pipeline(Readable.from(output(), { objectMode: false, highWaterMark: 1 }), sink);
  return rows.summary(parsed.facts(), options);
}
