// Errors in the exact shape the Cloud Storage JSON API returns, so the client's ApiError
// (code, message, errors[]) behaves as it does against Google.

export interface GcsErrorDetail {
  message: string;
  domain: string;
  reason: string;
  locationType?: string;
  location?: string;
}

export class GcsError extends Error {
  override name = 'GcsError';
  constructor(
    readonly status: number,
    message: string,
    readonly detail: Omit<GcsErrorDetail, 'message'> & { message?: string },
  ) {
    super(message);
  }

  body(): { error: { code: number; message: string; errors: GcsErrorDetail[] } } {
    const { message, ...rest } = this.detail;
    return { error: { code: this.status, message: this.message, errors: [{ message: message ?? this.message, ...rest }] } };
  }
}

const global = (reason: string) => ({ domain: 'global', reason });

export const gcsErrors = {
  noSuchBucket: () => new GcsError(404, 'The specified bucket does not exist.', global('notFound')),
  noSuchObject: (bucket: string, name: string) =>
    new GcsError(404, `No such object: ${bucket}/${name}`, global('notFound')),
  noSuchNotification: (id: string) =>
    new GcsError(404, `No such notification configuration: ${id}`, global('notFound')),
  noSuchUpload: () => new GcsError(404, 'No such upload session.', global('notFound')),
  bucketExists: () =>
    new GcsError(409, 'Your previous request to create the named bucket succeeded and you already own it.', global('conflict')),
  bucketNotEmpty: () => new GcsError(409, 'The bucket you tried to delete is not empty.', global('conflict')),
  preconditionFailed: (location = 'If-Match') =>
    new GcsError(412, 'At least one of the pre-conditions you specified did not hold.', {
      ...global('conditionNotMet'),
      locationType: 'header',
      location,
    }),
  invalid: (message: string) => new GcsError(400, message, global('invalid')),
  required: (what: string) => new GcsError(400, `Required ${what}`, global('required')),
  parseError: () => new GcsError(400, 'Parse Error', global('parseError')),
  rangeNotSatisfiable: () =>
    new GcsError(416, 'The requested range cannot be satisfied.', global('requestedRangeNotSatisfiable')),
  methodNotAllowed: () => new GcsError(405, 'Method not allowed', global('methodNotAllowed')),
  notFoundPath: (path: string) => new GcsError(404, `Not Found: ${path}`, global('notFound')),
  /** Something Cloud Storage does that the emulator does not: refused, never silently ignored. */
  notImplemented: (feature: string) =>
    new GcsError(501, `The Cloud Storage emulator does not implement ${feature}.`, global('notImplemented')),
};

// 304 on reads when an if*NotMatch precondition fails: GCS answers "Not Modified" with no body.
export class NotModified extends Error {
  override name = 'NotModified';
}
