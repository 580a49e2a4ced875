// A seeded fault mode for bucket notifications: Pub/Sub notifications from Cloud Storage are
// delivered at least once and in no guaranteed order, so every notification here is published
// 1–3 times, each copy after its own random delay (0..maxDelayMs), which reorders them — an
// OBJECT_FINALIZE can arrive after the OBJECT_DELETE of the same object, or after a later
// generation's. The decisions come from a seeded generator drawn in event order, so one seed
// and the same sequence of writes repeat the same copies and delays.
import { seededRandom } from '../seeded-random';

export interface NotificationChaosOptions {
  seed: number;
  /** Upper bound of a copy's delay; default 1500 ms. */
  maxDelayMs?: number;
}

export interface ChaosDecision {
  /** One delay per copy to publish (1–3 copies). */
  delaysMs: number[];
}

export const DEFAULT_CHAOS_MAX_DELAY_MS = 1500;

export function createChaosPlanner(options: NotificationChaosOptions): () => ChaosDecision {
  const next = seededRandom(options.seed);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_CHAOS_MAX_DELAY_MS;
  return () => {
    const copies = 1 + Math.floor(next() * 3);
    return { delaysMs: Array.from({ length: copies }, () => Math.floor(next() * (maxDelayMs + 1))) };
  };
}
