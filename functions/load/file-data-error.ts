// The staged file cannot go into the table as it is (bad value, schema refused, null key): the raw
// file is quarantined with this reason and the message acknowledged.
import { PermanentError } from '../../shared/errors';

export class FileDataError extends PermanentError {
  override name = 'FileDataError';
  // 1-based data row (header excluded) and column, when the database said.
  constructor(message: string, readonly row?: number, readonly column?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// The staged object at the message's generation is gone: superseded by a newer transform of the same
// raw file, or already cleaned up after a load. Not an error of the file.
export class StagedObjectGoneError extends Error {
  override name = 'StagedObjectGoneError';
}
