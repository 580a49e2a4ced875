// Fault injection for a chaos harness, off by default: per deployment, deliver each message k times at
// once (k drawn in [min, max]) and treat a 2xx as a lost ack with a probability (the dispatcher then
// redelivers it later, as Pub/Sub does when an ack never arrives). Seeded: every draw is a hash of
// (seed, subscription, message id, attempt, what is drawn), so a seed reproduces the same faults for
// the same messages whatever order deliveries interleave in.
import crypto from 'node:crypto';
import { z } from 'zod';

export const pushFaultOptionsSchema = z
  .object({
    seed: z.string().min(1).optional(),
    copies: z
      .object({ min: z.number().int().min(1), max: z.number().int().min(1).max(10) })
      .refine((c) => c.min <= c.max, { message: 'copies.min must not exceed copies.max' })
      .optional(),
    lostAckProbability: z.number().min(0).max(1).optional(),
  })
  .strict();
export type PushFaultOptions = z.infer<typeof pushFaultOptionsSchema>;

export interface DeliveryKey {
  subscription: string;
  messageId: string;
  attempt: number;
}

export interface PushFaults {
  // Undefined when no faults are injected.
  seed: string | undefined;
  copiesOf(key: DeliveryKey): number;
  ackLost(key: DeliveryKey): boolean;
}

export const NO_FAULTS: PushFaults = { seed: undefined, copiesOf: () => 1, ackLost: () => false };

// A uniform draw in [0, 1) from the seed and the delivery.
function draw(seed: string, key: DeliveryKey, what: string): number {
  const digest = crypto.createHash('sha256').update(`${seed}\0${key.subscription}\0${key.messageId}\0${key.attempt}\0${what}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function createPushFaults(given: PushFaultOptions | undefined): PushFaults {
  if (!given) return NO_FAULTS;
  const options = pushFaultOptionsSchema.parse(given);
  const seed = options.seed ?? crypto.randomBytes(6).toString('hex');
  const copies = options.copies ?? { min: 1, max: 1 };
  const lost = options.lostAckProbability ?? 0;
  return {
    seed,
    copiesOf: (key) => copies.min + Math.floor(draw(seed, key, 'copies') * (copies.max - copies.min + 1)),
    ackLost: (key) => lost > 0 && draw(seed, key, 'lost-ack') < lost,
  };
}
