// The wait before the next delivery of a message whose delivery failed, from the subscription's retry
// policy. Google documents only its shape ("after the first delivery failure, Pub/Sub waits for a
// minimum backoff time before retrying. For each consecutive message failure, more time is added to
// the delay, up to a maximum delay"), not its formula. We double:
//   delay(n) = min(maximumBackoff, minimumBackoff × 2^(n − 1)),  n = failed attempts so far (n ≥ 1)
// Doubling is the usual exponential backoff and the curve Google's client libraries use for their own
// retries; without jitter, so a test can check each gap against its exact lower bound. A minimum of 0
// (Google allows it) retries at once.
export function retryDelayMs(failedAttempts: number, minimumBackoffSeconds: number, maximumBackoffSeconds: number): number {
  const n = Math.max(1, failedAttempts);
  const seconds = Math.min(maximumBackoffSeconds, minimumBackoffSeconds * 2 ** (n - 1));
  return Math.round(seconds * 1000);
}
