// A raw file that can never be transformed as it is: the handler quarantines it (and acknowledges).
export class MalformedFileError extends Error {
  override name = 'MalformedFileError';
  // 1-based data row (header excluded) at fault, when one is.
  constructor(message: string, readonly row?: number) {
    super(message);
  }
}

// By name as well: a parser bundled with its own copy of this module still quarantines its file.
export function isMalformedFileError(error: unknown): error is MalformedFileError {
  return error instanceof MalformedFileError || (error instanceof Error && error.name === 'MalformedFileError');
}
