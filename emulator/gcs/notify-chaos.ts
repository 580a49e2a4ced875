// A seeded fault mode for bucket notifications: Pub/Sub notifications from Cloud Storage are
// delivered at least once and in no guaranteed order, so every notification here is published
// 1–3 times, each copy after its own random delay (0..maxDelayMs), which reorders them — an
// OBJECT_FINALIZE can arrive after the OBJECT_DELETE of the same object, or after a later
// generation's. The decisions come from a seeded generator drawn in event order, so one seed
// and the same sequence of writes repeat the same copies and delays.

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

// mulberry32: small and seedable; reproducibility is what matters here, not statistical quality.
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createChaosPlanner(options: NotificationChaosOptions): () => ChaosDecision {
  const next = generator(options.seed);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_CHAOS_MAX_DELAY_MS;
  return () => {
    const copies = 1 + Math.floor(next() * 3);
    return { delaysMs: Array.from({ length: copies }, () => Math.floor(next() * (maxDelayMs + 1))) };
  };
}
