// "Replay all matching" / "Purge all matching" for the dead letters the filters select: the dry-run
// count first (POST /dead-letters:replay|:purge with dryRun), the action only after the operator
// confirms that number, then its result — how many were done and, for a replay, each letter it
// skipped with the reason (a run still going, a message of no stage...).
import { post } from './api.js';
import { announce, h, replaceChildren } from './dom.js';

// The API acts on at most this many per call (dead-letters/create-dead-letter-ops.ts MAX_SELECTED).
const MAX_PER_CALL = 1000;

const ACTIONS = {
  replay: { route: 'replayDeadLetters', verb: 'Replay', doing: 'Replaying', done: 'replayed' },
  purge: { route: 'purgeDeadLetters', verb: 'Purge', doing: 'Purging', done: 'purged' },
};

// The letters a result skipped, each with why (shared with the per-letter buttons).
export function skippedList(skipped, id) {
  if (!skipped?.length) return '';
  return h('ul', { className: 'errors', id }, skipped.map((s) => h('li', { dataset: { letterId: s.id } }, h('span', { className: 'file-name' }, s.id), `: ${s.reason}`)));
}

const letters = (n) => `${n} dead ${n === 1 ? 'letter' : 'letters'}`;

// filter: the API's (pipeline, stage, since); described: the same in words, as the page's filters say it.
export function renderDeadLetterBulkPanel(filter, { described, onClose, onDone }) {
  const panel = h('section', { className: 'panel bulk', id: 'dl-bulk-panel', 'aria-labelledby': 'dl-bulk-title' });
  const status = h('div', { role: 'status', id: 'dl-bulk-status' });

  function choose() {
    replaceChildren(panel,
      h('h2', { id: 'dl-bulk-title' }, 'All dead letters matching the filters'),
      h('p', {}, `Filters: ${described}.`),
      h('div', { className: 'buttons' },
        h('button', { type: 'button', id: 'dl-replay-all', onclick: () => count('replay') }, 'Replay all matching…'),
        h('button', { type: 'button', id: 'dl-purge-all', className: 'danger', onclick: () => count('purge') }, 'Purge all matching…'),
        h('button', { type: 'button', onclick: onClose }, 'Close')),
      status);
    panel.querySelector('#dl-replay-all').focus();
  }

  async function count(action) {
    const { route, verb } = ACTIONS[action];
    status.textContent = 'Counting…';
    let counted;
    try {
      counted = await post(route, {}, { filter, dryRun: true });
    } catch (error) {
      status.textContent = `Could not count: ${error.message}`;
      return;
    }
    replaceChildren(panel,
      h('h2', { id: 'dl-bulk-title' }, `${verb} all matching dead letters`),
      h('p', { id: 'dl-bulk-count' }, `${letters(counted.matched)} ${counted.matched === 1 ? 'matches' : 'match'} (${described}).`),
      h('div', { className: 'buttons' },
        h('button', {
          type: 'button', id: 'dl-bulk-confirm', className: action === 'purge' ? 'danger' : undefined, disabled: counted.matched === 0,
          onclick: (event) => run(action, event.currentTarget),
        }, `${verb} ${letters(counted.matched)}`),
        h('button', { type: 'button', onclick: choose }, 'Back')),
      status);
    status.textContent = '';
    panel.querySelector('#dl-bulk-confirm').focus();
  }

  async function run(action, button) {
    const { route, doing, done } = ACTIONS[action];
    button.disabled = true;
    status.textContent = `${doing}…`;
    let result;
    try {
      result = await post(route, {}, { filter, dryRun: false });
    } catch (error) {
      status.textContent = `Could not ${action}: ${error.message}`;
      button.disabled = false;
      return;
    }
    const skipped = result.skipped ?? [];
    const summary = `${result.done} of ${letters(result.matched)} ${done}${skipped.length ? `, ${skipped.length} skipped` : ''}.`;
    replaceChildren(panel,
      h('h2', { id: 'dl-bulk-title' }, `${doing} matching dead letters: done`),
      h('p', { id: 'dl-bulk-result', role: 'status' }, summary),
      skipped.length ? [h('h3', {}, 'Skipped'), skippedList(skipped, 'dl-bulk-skipped')] : '',
      result.matched >= MAX_PER_CALL ? h('p', { className: 'muted' }, `One action takes at most ${MAX_PER_CALL} letters, newest first: run it again for the rest.`) : '',
      h('button', { type: 'button', id: 'dl-bulk-close', onclick: onClose }, 'Close'));
    announce(summary);
    panel.querySelector('#dl-bulk-close').focus();
    onDone?.();
  }

  choose();
  return panel;
}
