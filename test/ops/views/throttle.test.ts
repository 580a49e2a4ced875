// Live updates: the first at once, a burst after it as one update carrying the latest state.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttled } from '../../../functions/ops/views/throttle';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('throttled live updates', () => {
  it('sends the first poke at once and a burst as one, after the interval', () => {
    let sent = 0;
    const updates = throttled(() => sent++, 250);
    updates.poke();
    expect(sent).toBe(1);
    for (let i = 0; i < 50; i++) updates.poke();
    expect(sent).toBe(1);
    vi.advanceTimersByTime(250);
    expect(sent).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(sent).toBe(2);
    updates.poke();
    expect(sent).toBe(3);
  });

  it('sends nothing after cancel', () => {
    let sent = 0;
    const updates = throttled(() => sent++, 250);
    updates.poke();
    updates.poke();
    updates.cancel();
    vi.advanceTimersByTime(1000);
    expect(sent).toBe(1);
  });
});
