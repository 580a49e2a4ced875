// Run ids of runs an operator asks for: `<kind>-<yyyyMMddHHmmss UTC>-<6 random>`, so they sort by
// time, say where they came from, and never collide with a scheduled run's `run-…` id.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

export function operatorRunId(kind: 'manual' | 'rerun', now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${kind}-${stamp}-${randomSuffix(6)}`;
}
