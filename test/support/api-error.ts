// The error a Google client call rejected with, for tests that check its code and message.
import type { ApiError } from '@google-cloud/storage';

export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}
