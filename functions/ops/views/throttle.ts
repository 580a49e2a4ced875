// Live views send at most one update per interval, always the latest: a run whose hundreds of
// files end within a second is a few events, not hundreds (each carries the whole view). The first
// update goes at once; a burst after it is held until the interval has passed.
export const LIVE_INTERVAL_MS = 250;

export function throttled(send: () => void, intervalMs = LIVE_INTERVAL_MS): { poke(): void; cancel(): void } {
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    timer = undefined;
    last = Date.now();
    send();
  };
  return {
    poke() {
      if (timer) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
