// An .xlsx is a zip, and so can be a zip bomb: a few kilobytes that expand to gigabytes of XML, held
// in the shared-string table or spooled to a temp folder that is memory on Cloud Functions. Every
// entry this reader expands is metered against the rule's archive limits (limits.maxExpandedBytes,
// and limits.maxExpansionRatio of expanded bytes to the zip bytes read so far).
import { PassThrough, Transform, pipeline, type Readable } from 'node:stream';
import type { ImportRule } from '../../../shared/pipeline-definition';
import { MalformedFileError } from '../malformed-file-error';

// Below this, ratios mean nothing (a tiny zip of repetitive XML compresses very well).
const RATIO_FLOOR_BYTES = 16 * 1024 * 1024;

export class ExpansionBudget {
  private expanded = 0;

  constructor(private readonly limits: ImportRule['limits'], private readonly compressedSoFar: () => number) {}

  // The entry's bytes, ending with a MalformedFileError naming it once the budget is spent.
  meter(entry: Readable, name: string): PassThrough {
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.expanded += chunk.length;
        done(this.overrun(name), chunk);
      },
    });
    const out = new PassThrough();
    pipeline(entry, meter, out, () => {});
    return out;
  }

  private overrun(name: string): MalformedFileError | null {
    if (this.expanded > this.limits.maxExpandedBytes) {
      return new MalformedFileError(`the workbook expands past limits.maxExpandedBytes (${this.limits.maxExpandedBytes} bytes) at ${name}: a zip bomb, or a workbook too large to read`);
    }
    const compressed = Math.max(1, this.compressedSoFar());
    if (this.expanded > RATIO_FLOOR_BYTES && this.expanded / compressed > this.limits.maxExpansionRatio) {
      return new MalformedFileError(`the workbook expands more than limits.maxExpansionRatio (${this.limits.maxExpansionRatio}×) at ${name}: a zip bomb`);
    }
    return null;
  }
}
