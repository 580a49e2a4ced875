// A raw file that can never be transformed as it is: the handler quarantines it (and acknowledges).
export class MalformedFileError extends Error {
  override name = 'MalformedFileError';
  // 1-based data row (header excluded) at fault, when one is.
  constructor(message: string, readonly row?: number) {
    super(message);
  }
}
