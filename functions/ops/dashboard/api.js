// The ops API from the browser: same origin, JSON in and out, errors as ApiError with the API's
// stable code. Auth: a bearer token when the dashboard has one — the local dev token arrives in the
// URL `npm start` prints (/ui/#token=…) and is kept in localStorage; in the cloud a Google ID token
// pasted into the sign-in form, or none when a proxy in front (IAP, `gcloud run services proxy`)
// authenticates the browser. Server-sent events are read with fetch, not EventSource, so they carry
// the same Authorization header.
import { pathOf } from './routes.js';

const TOKEN_KEY = 'sluice.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // No storage: the token lasts as long as the page.
  }
  memoryToken = value || undefined;
}

let memoryToken;

// Takes a token from the URL (#token=… or ?token=…) into storage and removes it from the address
// bar, so it is neither bookmarked nor shown on screen.
export function adoptTokenFromUrl() {
  const url = new URL(location.href);
  const fromHash = url.hash.startsWith('#token=') ? decodeURIComponent(url.hash.slice('#token='.length)) : undefined;
  const fromQuery = url.searchParams.get('token') ?? undefined;
  const found = fromHash ?? fromQuery;
  if (!found) return;
  setToken(found);
  url.searchParams.delete('token');
  if (fromHash) url.hash = '#/runs';
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

function headers(extra = {}) {
  const bearer = memoryToken ?? token();
  return bearer ? { authorization: `Bearer ${bearer}`, ...extra } : extra;
}

export function urlOf(route, params = {}, query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const qs = search.toString();
  return pathOf(route, params) + (qs ? `?${qs}` : '');
}

async function failure(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = body?.error;
  return new ApiError(response.status, error?.code ?? 'internal', error?.message ?? `${response.status} ${response.statusText}`);
}

export async function get(route, params, query) {
  const response = await fetch(urlOf(route, params, query), { headers: headers({ accept: 'application/json' }), credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function post(route, params, body = {}) {
  const response = await fetch(urlOf(route, params), {
    method: 'POST',
    headers: headers({ accept: 'application/json', 'content-type': 'application/json' }),
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// Reads a text/event-stream until it ends or `signal` aborts; onEvent({ event, data }) per event
// (data JSON-parsed when it is JSON); onOpen() once the server accepted it. Resolves when the server ends the stream; rejects on failure.
export async function streamEvents(route, params, query, onEvent, signal, onOpen) {
  const response = await fetch(urlOf(route, params, query), { headers: headers({ accept: 'text/event-stream' }), credentials: 'same-origin', signal });
  if (!response.ok || !response.body) throw await failure(response);
  onOpen?.();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // a comment: the server's keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length === 0) continue;
      const raw = data.join('\n');
      let parsed = raw;
      try {
        parsed = JSON.parse(raw);
      } catch {
        // Not JSON: hand over the text.
      }
      onEvent({ event, data: parsed });
    }
  }
}
