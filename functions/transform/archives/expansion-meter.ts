// Counts the bytes members actually inflate to, as they stream (a header's claimed sizes are checked
// too, but a crafted archive may lie), and stops the stream at the first byte over a cap. It also
// refuses a member that is itself an archive: expansion is one level deep.
import { Transform, type TransformCallback } from 'node:stream';
import { printableName } from '../../../shared/object-names';
import { MalformedFileError } from '../malformed-file-error';
import { overRatio, type ArchiveLimits } from './archive-limits';
import { archiveKindOf, SIGNATURE_BYTES } from './detect-archive';

// A workbook is a zip and no archive: a member named so may start PK 03 04 (what it really is, its
// own transform tells from its entries; one that is a plain zip is refused there, as a nested archive).
const WORKBOOK_NAME = /\.(xlsx|xlsm|xltx|xltm|xlsb|ods)$/i;

export class ExpansionMeter {
  // Inflated bytes of every member so far, in this pass.
  total = 0;
  constructor(private readonly limits: ArchiveLimits, private readonly archiveBytes: number) {}

  // A pass-through for one member's inflated bytes.
  member(path: string, compressedBytes: number): Transform {
    const meter = this;
    const name = `member "${printableName(path)}"`;
    let bytes = 0;
    let head = Buffer.alloc(0);
    const checkHead = () => {
      const kind = archiveKindOf(head);
      if (kind === 'gzip' || (kind === 'zip' && !WORKBOOK_NAME.test(path))) {
        throw new MalformedFileError(`${name} is itself a ${kind} archive; archives inside archives are not expanded`);
      }
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        try {
          if (head.length < SIGNATURE_BYTES) {
            head = Buffer.concat([head, chunk.subarray(0, SIGNATURE_BYTES - head.length)]);
            if (head.length >= SIGNATURE_BYTES) checkHead();
          }
          bytes += chunk.length;
          meter.total += chunk.length;
          meter.check(name, bytes, compressedBytes);
          callback(null, chunk);
        } catch (error) {
          callback(error as Error);
        }
      },
      flush(callback: TransformCallback) {
        try {
          checkHead();
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
    });
  }

  private check(name: string, bytes: number, compressedBytes: number): void {
    const { maxExpandedBytes, maxExpansionRatio } = this.limits;
    if (this.total > maxExpandedBytes) {
      throw new MalformedFileError(`${name} takes the archive over ${maxExpandedBytes} expanded bytes (limits.maxExpandedBytes)`);
    }
    if (overRatio(bytes, compressedBytes, this.limits)) {
      throw new MalformedFileError(`${name} inflates more than ${maxExpansionRatio} times its compressed size of ${compressedBytes} bytes (limits.maxExpansionRatio): a zip bomb`);
    }
    if (overRatio(this.total, this.archiveBytes, this.limits)) {
      throw new MalformedFileError(`${name} takes the archive over ${maxExpansionRatio} times its size of ${this.archiveBytes} bytes (limits.maxExpansionRatio): a zip bomb`);
    }
  }
}
