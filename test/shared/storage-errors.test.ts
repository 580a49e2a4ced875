// One fate per Cloud Storage answer.
import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../shared/errors';
import { asStageError, storageErrorIsPermanent, storageStatus } from '../../shared/storage-errors';

const apiError = (code: number | string, message = 'refused') => Object.assign(new Error(message), { name: 'ApiError', code });
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('storageErrorIsPermanent', () => {
  it.each([400, 404, '400'])('%j is permanent', (code) => expect(storageErrorIsPermanent(apiError(code))).toBe(true));
  it.each([401, 403, 408, 409, 412, 429, 500, 502, 503, 504])('%j is transient', (code) => expect(storageErrorIsPermanent(apiError(code))).toBe(false));
  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN'])('socket error %s is transient', (code) => {
    expect(storageErrorIsPermanent(socketError(code))).toBe(false);
  });
  it('an error without a status is transient; a PermanentError by name is permanent', () => {
    expect(storageErrorIsPermanent(new Error('socket hang up'))).toBe(false);
    expect(storageErrorIsPermanent(Object.assign(new Error('x'), { name: 'PermanentError' }))).toBe(true);
  });
});

describe('asStageError', () => {
  it('names what failed and the status, keeps the cause', () => {
    const cause = apiError(400, 'Invalid object name');
    const error = asStageError(cause, 'copying /x.csv to gs://b/raw/x.csv');
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('copying /x.csv to gs://b/raw/x.csv failed (HTTP 400): Invalid object name');
    expect(error.cause).toBe(cause);
    expect(asStageError(apiError(503), 'x')).toBeInstanceOf(TransientError);
    expect(asStageError(socketError('ECONNRESET'), 'x')).toBeInstanceOf(TransientError);
  });
  it('passes the stage error kinds through', () => {
    const transient = new TransientError('short read');
    expect(asStageError(transient, 'x')).toBe(transient);
  });
  it('reads numeric and numeric-string codes only', () => {
    expect(storageStatus(socketError('ECONNRESET'))).toBeUndefined();
    expect(storageStatus(apiError('412'))).toBe(412);
    expect(storageStatus(null)).toBeUndefined();
  });
});
