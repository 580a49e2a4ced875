// The dashboard's shell: takes the token from the URL, asks who the caller is (viewers get no
// mutating buttons), routes by the URL's hash (#/runs?…, #/runs/<id>, #/pipelines, #/dead-letters?…,
// #/dead-letters/<id>) so a reload or a
// shared link shows the same view with the same filters, and keeps the UTC/local toggle.
import { adoptTokenFromUrl, ApiError, get, setToken } from './api.js';
import { renderDeadLettersPage } from './dead-letters-page.js';
import { h, replaceChildren } from './dom.js';
import { renderPipelinesPage } from './pipelines-page.js';
import { renderRunPage } from './run-page.js';
import { renderRunsPage } from './runs-page.js';
import { localZoneName, onTimeZoneChange, refreshTimes, setTimeZoneMode, timeZoneMode } from './time.js';

const view = document.getElementById('view');
let current;
let caller;

export function parseHash(hash = location.hash) {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(search) };
}

function route() {
  current?.stop?.();
  current = undefined;
  const { parts, query } = parseHash();
  const page = parts[0] ?? 'runs';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const context = { caller, canOperate: caller?.role === 'operator' };
  if (page === 'runs' && parts[1]) current = renderRunPage(view, parts[1], context);
  else if (page === 'pipelines') current = renderPipelinesPage(view, context);
  else if (page === 'dead-letters') current = renderDeadLettersPage(view, query, context, parts[1]);
  else current = renderRunsPage(view, query, context);
}

function renderToggle() {
  const button = document.getElementById('tz-toggle');
  const utc = timeZoneMode() === 'utc';
  button.textContent = utc ? 'Times: UTC' : `Times: local (${localZoneName()})`;
  button.setAttribute('aria-pressed', String(!utc));
}

function signIn(message) {
  document.getElementById('whoami').textContent = '';
  const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', required: true });
  replaceChildren(view, h('section', { className: 'panel signin' },
    h('h1', {}, 'Sign in'),
    h('p', {}, message),
    h('form', {
      onsubmit: (event) => {
        event.preventDefault();
        setToken(input.value.trim());
        start();
      },
    },
    h('label', { for: 'token-input' }, 'Token (the dev token `npm start` printed, or `gcloud auth print-identity-token`)'),
    input,
    h('button', { type: 'submit' }, 'Sign in'))));
  input.focus();
}

async function start() {
  try {
    caller = await get('whoami');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signIn('The ops API needs a token.');
    replaceChildren(view, h('p', { className: 'error', role: 'alert' }, `The ops API did not answer: ${error.message}`));
    return;
  }
  document.getElementById('whoami').textContent = `${caller.principal} (${caller.role})`;
  document.documentElement.dataset.role = caller.role;
  route();
}

adoptTokenFromUrl();
renderToggle();
document.getElementById('tz-toggle').addEventListener('click', () => {
  setTimeZoneMode(timeZoneMode() === 'utc' ? 'local' : 'utc');
});
onTimeZoneChange(() => {
  renderToggle();
  refreshTimes();
});
// Relative times ("3 min ago") age while the page is open.
setInterval(() => { if (!document.hidden) refreshTimes(); }, 30_000);
window.addEventListener('hashchange', () => {
  if (!caller) return;
  route();
  // A keyboard or screen-reader user lands on the new view, not on the link they left.
  view.focus({ preventScroll: true });
});
// The skip link would change the hash (our router's); it moves focus instead.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  view.focus();
});
start();
