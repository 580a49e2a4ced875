// Stands in for a format whose parser is not in this build yet, so the registry (index.ts) still has
// an entry for every name of `fileFormats`: such a file is quarantined with a reason saying so.
import type { FileFormat } from '../../../shared/pipeline-definition';
import { MalformedFileError } from '../malformed-file-error';
import type { FileParser } from './file-parser';

export function notSupportedYet(format: FileFormat): FileParser {
  return {
    format,
    async parse() {
      throw new MalformedFileError(`format ${format.toUpperCase()} is not supported yet`);
    },
  };
}
