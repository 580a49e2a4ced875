// Keeps a view current: loads it, then reloads it on every server-sent event of its stream (events
// are only the signal; the view is always re-read through the same GET, so what is shown is what the
// API answers). When the stream cannot be opened or drops, it polls every 2 s and tries the stream
// again now and then. While the tab is hidden it does nothing (visibilitychange) and catches up on
// return. The state is on <html data-live="…"> and in the header's indicator.
import { streamEvents } from './api.js';

const POLL_MS = 2000;
const STREAM_RETRY_MS = 10_000;

function setState(state) {
  document.documentElement.dataset.live = state;
  const indicator = document.getElementById('live-indicator');
  if (indicator) {
    const text = { stream: 'Live', polling: 'Live (polling)', paused: 'Paused while hidden', off: '' }[state] ?? state;
    indicator.textContent = text;
    indicator.className = `live live-${state}`;
  }
}

// load(): fetches and renders (the caller's), returning a promise.
// stream: { route, params, query } of the SSE route, or undefined to only poll.
export function keepLive({ load, stream, onError }) {
  let stopped = false;
  let controller;
  let pollTimer;
  let retryTimer;
  let loading;
  let again = false;

  async function reload() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        do {
          again = false;
          await load();
        } while (again && !stopped);
      } catch (error) {
        onError?.(error);
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  function clearTimers() {
    clearTimeout(pollTimer);
    clearTimeout(retryTimer);
    pollTimer = retryTimer = undefined;
  }

  function poll() {
    if (stopped || document.hidden) return;
    setState('polling');
    pollTimer = setTimeout(async () => {
      await reload();
      poll();
    }, POLL_MS);
  }

  function openStream() {
    if (stopped || document.hidden) return;
    if (!stream) {
      poll();
      return;
    }
    controller = new AbortController();
    const mine = controller;
    let opened = false;
    streamEvents(stream.route, stream.params, stream.query, () => reload(), mine.signal, () => {
      opened = true;
      setState('stream');
      clearTimers();
      // Whatever changed between the last load and the stream's start.
      reload();
    })
      .catch(() => undefined)
      .then(() => {
        if (mine.signal.aborted || stopped) return;
        // The stream failed or ended: poll, and try it again later.
        clearTimers();
        poll();
        retryTimer = setTimeout(() => {
          clearTimeout(pollTimer);
          openStream();
        }, opened ? POLL_MS : STREAM_RETRY_MS);
      });
  }

  function closeStream() {
    controller?.abort();
    controller = undefined;
    clearTimers();
  }

  function onVisibility() {
    if (stopped) return;
    if (document.hidden) {
      closeStream();
      setState('paused');
    } else {
      reload();
      openStream();
    }
  }

  document.addEventListener('visibilitychange', onVisibility);
  const ready = reload();
  if (document.hidden) setState('paused');
  else openStream();

  return {
    ready,
    reload,
    stop() {
      stopped = true;
      closeStream();
      document.removeEventListener('visibilitychange', onVisibility);
      setState('off');
    },
  };
}
