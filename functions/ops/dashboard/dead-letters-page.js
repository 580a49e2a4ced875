// Dead letters: the messages a stage gave up on, kept by notify. Filters in the URL
// (#/dead-letters?pipeline=…&stage=load&window=24h), newest first, "Load more" by the API's cursor;
// one letter alone at #/dead-letters/<id> (GET /dead-letters/{id}: a link to share), its message open;
// each letter's original message in a disclosure, and (operators) Replay / Purge per letter and for
// all matching (dead-letter-bulk-panel.js). Not live: letters change by these buttons or by a new
// failure, so the page re-reads after each action and on "Refresh".
import { ApiError, get, post } from './api.js';
import { renderDeadLetterBulkPanel } from './dead-letter-bulk-panel.js';
import { messageDetails } from './dead-letter-message.js';
import { announce, formatNumber, h, replaceChildren } from './dom.js';
import { WINDOW_MS, WINDOWS } from './runs-page.js';
import { timeElement } from './time.js';

export const STAGES = ['fetch', 'transform', 'load', 'aggregate', 'notify'];
const PAGE_SIZE = 50;
const COLUMNS = ['Received', 'Pipeline', 'Stage', 'Reason', 'Run', 'File', 'Attempts', 'Replays'];

export function filtersOf(query) {
  return {
    pipeline: query.get('pipeline') ?? '',
    stage: STAGES.includes(query.get('stage')) ? query.get('stage') : '',
    window: Object.hasOwn(WINDOW_MS, query.get('window') ?? '') ? query.get('window') : '',
  };
}

// GET /dead-letters' query and the replay/purge filter, from the URL's filters.
export function apiFilterOf(filters, now = Date.now()) {
  const filter = {};
  if (filters.pipeline) filter.pipeline = filters.pipeline;
  if (filters.stage) filter.stage = filters.stage;
  if (filters.window) filter.since = new Date(now - WINDOW_MS[filters.window]).toISOString();
  return filter;
}

// The filters in words, for the "all matching" panel.
export function describeFilters(filters) {
  const parts = [];
  if (filters.pipeline) parts.push(`pipeline ${filters.pipeline}`);
  if (filters.stage) parts.push(`stage ${filters.stage}`);
  if (filters.window) parts.push(`received in the ${WINDOWS[filters.window]}`);
  return parts.join(', ') || 'no filter: every dead letter';
}

function hashOf(filters) {
  const search = new URLSearchParams();
  for (const key of ['pipeline', 'stage', 'window']) if (filters[key]) search.set(key, filters[key]);
  const qs = search.toString();
  return `#/dead-letters${qs ? `?${qs}` : ''}`;
}

function filterForm(filters) {
  const select = (id, label, value, options) => [
    h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  ];
  const pipelines = filters.pipeline ? [filters.pipeline] : [];
  const form = h('form', { className: 'filters', 'aria-label': 'Filter dead letters' },
    h('div', { className: 'field' }, select('dl-filter-pipeline', 'Pipeline', filters.pipeline, [['', 'all pipelines'], ...pipelines.map((p) => [p, p])])),
    h('div', { className: 'field' }, select('dl-filter-stage', 'Stage', filters.stage, [['', 'any stage'], ...STAGES.map((s) => [s, s])])),
    h('div', { className: 'field' }, select('dl-filter-window', 'Received', filters.window, Object.entries(WINDOWS))),
    h('div', { className: 'field buttons' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('a', { href: '#/dead-letters', className: 'button-link' }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hashOf({
      pipeline: form.querySelector('#dl-filter-pipeline').value,
      stage: form.querySelector('#dl-filter-stage').value,
      window: form.querySelector('#dl-filter-window').value,
    });
  });
  // The pipeline choices arrive later; filled in place, so a choice made meanwhile stays.
  get('listPipelines').then((answer) => {
    const pick = form.querySelector('#dl-filter-pipeline');
    const chosen = pick.value;
    const names = answer.pipelines.map((p) => p.name);
    if (chosen && !names.includes(chosen)) names.push(chosen);
    pick.replaceChildren(h('option', { value: '' }, 'all pipelines'), ...names.map((name) => h('option', { value: name, selected: name === chosen }, name)));
  }).catch(() => undefined);
  return form;
}

const runLink = (runId) => h('a', { href: `#/runs/${encodeURIComponent(runId)}`, className: 'file-name' }, runId);

function replaysCell(replays = []) {
  if (!replays.length) return h('span', { className: 'muted' }, 'none');
  return h('ul', { className: 'plain replays' }, replays.map((r) => h('li', {},
    r.rerunId ? ['rerun ', runLink(r.rerunId)] : ['published ', h('span', { className: 'file-name' }, r.messageId)],
    h('span', { className: 'muted' }, ` by ${r.actor} `), timeElement(r.at))));
}

// only: one letter's id (#/dead-letters/<id>) instead of the filtered list.
export function renderDeadLettersPage(container, query, context, only) {
  const filters = filtersOf(query);
  // The since of a window is fixed when the page opens, so every page and action asks the same.
  const filter = apiFilterOf(filters);
  let letters = [];
  let nextCursor;
  let stopped = false;
  const body = h('div', { className: 'dead-letters-body' });
  const footer = h('div', { className: 'list-footer' });
  const error = h('p', { className: 'error', role: 'alert', hidden: true });
  const message = h('div', { id: 'dl-message', role: 'status', className: 'message-line' });
  const bulkSlot = h('div');
  const columns = [...COLUMNS, ...(context.canOperate ? ['Actions'] : [])];

  replaceChildren(container,
    only ? [h('h1', {}, 'Dead letter'), h('p', {}, h('a', { href: '#/dead-letters' }, 'All dead letters'))] : [h('h1', {}, 'Dead letters'), filterForm(filters)],
    error, bulkSlot, message, body, footer);
  const setMessage = (...parts) => replaceChildren(message, ...parts);

  function showBulkButton() {
    replaceChildren(bulkSlot, h('button', {
      type: 'button', id: 'dl-select-all', onclick: () => replaceChildren(bulkSlot, renderDeadLetterBulkPanel(filter, {
        described: describeFilters(filters),
        onClose: () => { showBulkButton(); bulkSlot.querySelector('button')?.focus(); },
        onDone: () => reloadAll(),
      })),
    }, 'Select all matching…'));
  }
  if (context.canOperate && !only) showBulkButton();

  async function replay(letter, button) {
    button.disabled = true;
    setMessage(`Replaying ${letter.id}…`);
    try {
      const result = await post('replayDeadLetters', {}, { ids: [letter.id] });
      const skip = result.skipped?.find((s) => s.id === letter.id);
      if (skip) {
        setMessage(h('span', { className: 'bad' }, 'Not replayed: '), skip.reason);
        announce(`Not replayed: ${skip.reason}`);
      } else if (result.done === 0) {
        setMessage(`Not replayed: ${letter.id} is no longer kept.`);
      } else {
        const fresh = await get('getDeadLetter', { id: letter.id });
        const last = fresh.replays?.at(-1);
        setMessage('Replayed ', h('span', { className: 'file-name' }, letter.id), last?.rerunId ? [': rerun ', runLink(last.rerunId), ' queued'] : ': published to its stage again');
        announce(last?.rerunId ? `Replayed: rerun ${last.rerunId} queued` : 'Replayed');
        replaceLetter(fresh);
        return;
      }
    } catch (failure) {
      setMessage(`${failure instanceof ApiError && failure.status === 403 ? 'Not allowed' : 'Could not replay'}: ${failure.message}`);
    }
    button.disabled = false;
  }

  async function purge(letter, button) {
    button.disabled = true;
    try {
      const result = await post('purgeDeadLetters', {}, { ids: [letter.id] });
      letters = letters.filter((l) => l.id !== letter.id);
      draw();
      setMessage(result.done ? `Purged ${letter.id}.` : `${letter.id} was already gone.`);
      announce(`Purged ${letter.id}`);
      (document.getElementById('dl-select-all') ?? document.getElementById('dl-refresh'))?.focus();
    } catch (failure) {
      setMessage(`${failure instanceof ApiError && failure.status === 403 ? 'Not allowed' : 'Could not purge'}: ${failure.message}`);
      button.disabled = false;
    }
  }

  // Purge asks once more in place: it cannot be undone.
  function actionsCell(letter) {
    const cell = h('td', { className: 'letter-actions' });
    const label = (verb) => `${verb} dead letter ${letter.id}`;
    const normal = () => replaceChildren(cell,
      h('button', { type: 'button', className: 'small', 'aria-label': label('Replay'), dataset: { action: 'replay' }, onclick: (e) => replay(letter, e.currentTarget) }, 'Replay'),
      ' ',
      h('button', {
        type: 'button', className: 'small danger', 'aria-label': label('Purge'), dataset: { action: 'purge' },
        onclick: () => {
          replaceChildren(cell,
            h('button', { type: 'button', className: 'small danger', 'aria-label': `Confirm: purge dead letter ${letter.id}`, dataset: { action: 'confirm-purge' }, onclick: (e) => purge(letter, e.currentTarget) }, 'Confirm purge'),
            ' ',
            h('button', { type: 'button', className: 'small', onclick: () => { normal(); cell.querySelector('[data-action="purge"]')?.focus(); } }, 'Keep'));
          cell.querySelector('[data-action="confirm-purge"]').focus();
        },
      }, 'Purge'));
    normal();
    return cell;
  }

  // One <tbody> per letter: its row, then its original message in a disclosure under it.
  function letterGroup(letter) {
    return h('tbody', { className: 'letter', dataset: { letterId: letter.id } },
      h('tr', {},
        h('td', {}, timeElement(letter.receivedAt)),
        h('td', {}, letter.pipeline),
        h('td', {}, h('span', { className: 'badge' }, letter.stage)),
        h('td', { className: 'reason' }, letter.reason),
        h('td', {}, letter.runId ? runLink(letter.runId) : h('span', { className: 'muted' }, 'none')),
        h('td', { className: 'file-name', title: letter.fileKey ?? '' }, letter.file ?? letter.fileKey ?? ''),
        h('td', { className: 'num' }, formatNumber(letter.attempts)),
        h('td', { className: 'replays-cell' }, replaysCell(letter.replays)),
        context.canOperate ? actionsCell(letter) : ''),
      h('tr', { className: 'letter-detail' }, h('td', { colspan: columns.length }, messageDetails(letter, { open: Boolean(only) }))));
  }

  function replaceLetter(fresh) {
    letters = letters.map((l) => (l.id === fresh.id ? fresh : l));
    const old = body.querySelector(`tbody[data-letter-id="${CSS.escape(fresh.id)}"]`);
    if (!old) return draw();
    const open = old.querySelector('details')?.open;
    const group = letterGroup(fresh);
    if (open) group.querySelector('details').open = true;
    old.replaceWith(group);
  }

  function draw() {
    if (letters.length === 0) {
      replaceChildren(body, h('p', { className: 'empty' }, only ? `There is no dead letter ${only} (purged, or past its retention).` : 'No dead letters match these filters.'));
    } else {
      replaceChildren(body, h('div', { className: 'table-scroll' }, h('table', { className: 'dead-letters', id: 'dead-letters' },
        h('caption', {}, 'Dead letters, newest first'),
        h('thead', {}, h('tr', {}, columns.map((name) => h('th', { scope: 'col', className: name === 'Attempts' ? 'num' : undefined }, name)))),
        letters.map(letterGroup))));
    }
    if (only) return replaceChildren(footer, h('button', { type: 'button', id: 'dl-refresh', onclick: () => reloadAll() }, 'Refresh'));
    replaceChildren(footer,
      h('span', { id: 'dl-count', role: 'status' }, nextCursor ? `Showing ${letters.length} dead letters` : letters.length === 1 ? 'The one matching dead letter shown' : `All ${letters.length} matching dead letters shown`),
      nextCursor ? h('button', { type: 'button', id: 'dl-load-more', onclick: loadMore }, 'Load more') : '',
      h('button', { type: 'button', id: 'dl-refresh', onclick: () => reloadAll() }, 'Refresh'));
  }

  function showError(failure) {
    error.hidden = false;
    error.textContent = `Could not load dead letters: ${failure.message}`;
  }

  async function loadMore(event) {
    const button = event.currentTarget;
    button.disabled = true;
    button.textContent = 'Loading…';
    try {
      const page = await get('listDeadLetters', {}, { ...filter, limit: PAGE_SIZE, cursor: nextCursor });
      const seen = new Set(letters.map((l) => l.id));
      letters = letters.concat(page.deadLetters.filter((l) => !seen.has(l.id)));
      nextCursor = page.nextCursor;
      draw();
      document.getElementById('dl-load-more')?.focus();
    } catch (failure) {
      showError(failure);
      button.disabled = false;
      button.textContent = 'Load more';
    }
  }

  // The one letter as a page of the list (none when it is gone).
  async function oneLetter() {
    try {
      return { deadLetters: [await get('getDeadLetter', { id: only })] };
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) return { deadLetters: [] };
      throw failure;
    }
  }

  // From the first page again (after an action on all matching, or "Refresh").
  async function reloadAll() {
    try {
      const page = only ? await oneLetter() : await get('listDeadLetters', {}, { ...filter, limit: PAGE_SIZE });
      if (stopped) return;
      error.hidden = true;
      letters = page.deadLetters;
      nextCursor = page.nextCursor;
      draw();
    } catch (failure) {
      showError(failure);
    }
  }

  reloadAll();
  return { stop: () => { stopped = true; } };
}
