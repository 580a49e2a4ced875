// The runs list: filters kept in the URL (#/runs?pipeline=…&status=failed,partial&trigger=…&window=24h),
// newest first, "Load more" by the API's cursor, live first page, and (operators) the bulk panel for
// every run matching the filters.
import { get } from './api.js';
import { renderBulkPanel } from './bulk-panel.js';
import { announce, formatNumber, h, replaceChildren, statusBadge } from './dom.js';
import { keepLive } from './live.js';
import { duration, timeElement } from './time.js';

export const RUN_STATUSES = ['queued', 'running', 'cancelling', 'succeeded', 'partial', 'failed', 'no-new-data', 'paused', 'cancelled'];
const TRIGGERS = ['schedule', 'manual', 'retry', 'push'];
export const WINDOWS = { '': 'any time', '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days' };
export const WINDOW_MS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 };
const PAGE_SIZE = 50;

// The filters as the URL holds them.
export function filtersOf(query) {
  const status = (query.get('status') ?? '').split(',').filter((s) => RUN_STATUSES.includes(s));
  return {
    pipeline: query.get('pipeline') ?? '',
    status,
    trigger: TRIGGERS.includes(query.get('trigger')) ? query.get('trigger') : '',
    window: Object.hasOwn(WINDOW_MS, query.get('window') ?? '') ? query.get('window') : '',
  };
}

// The API's query (GET /runs, /events/runs) and the bulk filter, from the URL's filters.
export function apiQueryOf(filters, now = Date.now()) {
  const query = {};
  if (filters.pipeline) query.pipeline = filters.pipeline;
  if (filters.status.length) query.status = filters.status;
  if (filters.trigger) query.trigger = filters.trigger;
  if (filters.window) query.since = new Date(now - WINDOW_MS[filters.window]).toISOString();
  return query;
}

function hashOf(filters) {
  const search = new URLSearchParams();
  if (filters.pipeline) search.set('pipeline', filters.pipeline);
  if (filters.status.length) search.set('status', filters.status.join(','));
  if (filters.trigger) search.set('trigger', filters.trigger);
  if (filters.window) search.set('window', filters.window);
  const qs = search.toString();
  return `#/runs${qs ? `?${qs.replace(/%2C/g, ',')}` : ''}`;
}

function filterForm(filters, pipelines) {
  const select = (id, label, value, options) => [
    h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  ];
  const form = h('form', { className: 'filters', 'aria-label': 'Filter runs' },
    h('div', { className: 'field' }, select('filter-pipeline', 'Pipeline', filters.pipeline, [['', 'all pipelines'], ...pipelines.map((p) => [p, p])])),
    h('fieldset', { className: 'field statuses' },
      h('legend', {}, 'Status'),
      RUN_STATUSES.map((s) => h('label', { className: 'check' },
        h('input', { type: 'checkbox', name: 'status', value: s, checked: filters.status.includes(s) }), ` ${s}`))),
    h('div', { className: 'field' }, select('filter-trigger', 'Trigger', filters.trigger, [['', 'any trigger'], ...TRIGGERS.map((t) => [t, t])])),
    h('div', { className: 'field' }, select('filter-window', 'Started', filters.window, Object.entries(WINDOWS))),
    h('div', { className: 'field buttons' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('a', { href: '#/runs', className: 'button-link' }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    location.hash = hashOf({
      pipeline: form.querySelector('#filter-pipeline').value,
      status: data.getAll('status').map(String),
      trigger: form.querySelector('#filter-trigger').value,
      window: form.querySelector('#filter-window').value,
    });
  });
  return form;
}

// Whether an actor is someone (an operator's principal), not the scheduler or a source's push.
export const isPerson = (actor) => Boolean(actor) && !['scheduler', 'push', 'watchdog'].includes(actor);

export function runRow(run) {
  return h('tr', { dataset: { runId: run.runId, status: run.status } },
    h('td', {}, statusBadge(run.status)),
    h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(run.runId)}` }, run.runId)),
    h('td', {}, run.pipeline),
    h('td', {}, run.trigger, isPerson(run.actor) ? h('span', { className: 'muted' }, ` by ${run.actor}`) : ''),
    h('td', {}, timeElement(run.startedAt)),
    h('td', { className: 'num' }, duration(run.durationMs)),
    h('td', {}, run.failedStage ?? ''),
    h('td', { className: 'error-line', title: run.errorSummary ?? '' }, run.errorSummary ?? ''),
    h('td', { className: 'num' }, formatNumber(run.rows)));
}

export function runsTable(caption, runs, { id } = {}) {
  return h('table', { className: 'runs', id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ['Status', 'Run', 'Pipeline', 'Trigger', 'Started', 'Duration', 'Failed stage', 'Error', 'Rows']
      .map((name) => h('th', { scope: 'col', className: name === 'Duration' || name === 'Rows' ? 'num' : undefined }, name)))),
    h('tbody', {}, runs.map(runRow)));
}

// Newest first, as the API orders them.
const newestFirst = (a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1);

export function renderRunsPage(container, query, context) {
  const filters = filtersOf(query);
  let runs = [];
  let nextCursor;
  let firstLoad = true;
  const body = h('div', { className: 'runs-body' });
  const footer = h('div', { className: 'list-footer' });
  const error = h('p', { className: 'error', role: 'alert', hidden: true });
  const bulkSlot = h('div');

  replaceChildren(container,
    h('h1', {}, 'Runs'),
    h('div', { id: 'filters-slot' }),
    error, bulkSlot, body, footer);
  const form = filterForm(filters, filters.pipeline ? [filters.pipeline] : []);
  replaceChildren(container.querySelector('#filters-slot'), form);
  // The pipeline choices arrive later; filled into the select in place, so a filter the user set
  // meanwhile stays set.
  get('listPipelines').then((answer) => {
    const select = form.querySelector('#filter-pipeline');
    const chosen = select.value;
    const names = answer.pipelines.map((p) => p.name);
    if (chosen && !names.includes(chosen)) names.push(chosen);
    select.replaceChildren(h('option', { value: '' }, 'all pipelines'), ...names.map((name) => h('option', { value: name, selected: name === chosen }, name)));
  }).catch(() => undefined);

  // The since of a window is fixed when the page opens, so pages and live reloads ask the same query.
  const apiQuery = apiQueryOf(filters);

  function showSelectButton() {
    replaceChildren(bulkSlot, h('button', {
      type: 'button', id: 'select-all', onclick: () => replaceChildren(bulkSlot, renderBulkPanel(apiQuery, {
        onClose: showSelectButton,
        onDone: () => live.reload(),
      })),
    }, 'Select all matching…'));
  }
  if (context.canOperate) showSelectButton();

  function draw() {
    // A live redraw must not take the keyboard focus away: note where it is, put it back after.
    const active = document.activeElement;
    const focusedButton = active?.id === 'load-more' ? 'load-more' : undefined;
    const focusedRun = active?.closest?.('#runs-table tr')?.dataset.runId;
    if (runs.length === 0) {
      replaceChildren(body, h('p', { className: 'empty' }, 'No runs match these filters.'));
    } else {
      replaceChildren(body, h('div', { className: 'table-scroll' }, runsTable('Runs, newest first', runs, { id: 'runs-table' })));
    }
    const count = h('span', { id: 'runs-count', role: 'status' }, nextCursor ? `Showing ${runs.length} runs` : `All ${runs.length} matching runs shown`);
    replaceChildren(footer, count, nextCursor ? h('button', { type: 'button', id: 'load-more', onclick: loadMore }, 'Load more') : '');
    if (focusedButton) document.getElementById(focusedButton)?.focus();
    else if (focusedRun) body.querySelector(`tr[data-run-id="${CSS.escape(focusedRun)}"] a`)?.focus();
  }

  async function loadMore(event) {
    const button = event.currentTarget;
    button.disabled = true;
    button.textContent = 'Loading…';
    try {
      const page = await get('listRuns', {}, { ...apiQuery, limit: PAGE_SIZE, cursor: nextCursor });
      const seen = new Set(runs.map((r) => r.runId));
      runs = runs.concat(page.runs.filter((r) => !seen.has(r.runId)));
      nextCursor = page.nextCursor;
      draw();
      document.getElementById('load-more')?.focus();
    } catch (failure) {
      showError(failure);
      button.disabled = false;
      button.textContent = 'Load more';
    }
  }

  function showError(failure) {
    error.hidden = false;
    error.textContent = `Could not load runs: ${failure.message}`;
  }

  // The first page, live: rows in its range are replaced by what the API answers now.
  async function loadFirstPage() {
    const page = await get('listRuns', {}, { ...apiQuery, limit: PAGE_SIZE });
    error.hidden = true;
    if (firstLoad) {
      runs = page.runs;
      nextCursor = page.nextCursor;
      firstLoad = false;
    } else {
      const before = new Map(runs.map((r) => [r.runId, r.status]));
      const ids = new Set(page.runs.map((r) => r.runId));
      const oldest = page.runs.at(-1);
      const beyond = page.nextCursor && oldest ? runs.filter((r) => !ids.has(r.runId) && newestFirst(r, oldest) > 0) : [];
      if (!page.nextCursor) nextCursor = undefined;
      runs = [...page.runs, ...beyond].sort(newestFirst);
      const changed = page.runs.filter((r) => before.get(r.runId) !== r.status);
      if (changed.length === 1) announce(`Run ${changed[0].runId} is ${changed[0].status}`);
      else if (changed.length > 1) announce(`${changed.length} runs changed`);
    }
    draw();
  }

  const live = keepLive({
    load: loadFirstPage,
    stream: { route: 'runsEvents', params: {}, query: { ...apiQuery, limit: PAGE_SIZE } },
    onError: showError,
  });
  return { stop: () => live.stop() };
}
