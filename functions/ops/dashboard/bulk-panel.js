// "Select all matching" → bulk rerun or cancel: the dry-run count first (POST /bulk-actions with
// dryRun), the action only after the operator confirms that number, then its progress read from
// GET /bulk-actions/{id} until it is done.
import { get, post } from './api.js';
import { announce, h, replaceChildren } from './dom.js';

const PROGRESS_POLL_MS = 500;

export function renderBulkPanel(filter, { onClose, onDone }) {
  const panel = h('section', { className: 'panel bulk', id: 'bulk-panel', 'aria-labelledby': 'bulk-title' });
  const status = h('div', { role: 'status', id: 'bulk-status' });
  const described = Object.entries(filter).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : v}`).join(', ') || 'no filter: every run';

  function choose() {
    const files = h('select', { id: 'bulk-files' }, h('option', { value: 'all' }, 'all files'), h('option', { value: 'failed' }, 'failed files only'));
    const from = h('select', { id: 'bulk-from' }, ['fetch', 'transform', 'load'].map((s) => h('option', { value: s }, s)));
    replaceChildren(panel,
      h('h2', { id: 'bulk-title' }, 'All runs matching the filters'),
      h('p', {}, `Filters: ${described}.`),
      h('div', { className: 'field-row' },
        h('label', { for: 'bulk-files' }, 'Rerun'), files,
        h('label', { for: 'bulk-from' }, 'from stage'), from),
      h('div', { className: 'buttons' },
        h('button', { type: 'button', id: 'bulk-rerun', onclick: () => count('rerun', { files: files.value, fromStage: from.value }) }, 'Rerun all matching…'),
        h('button', { type: 'button', id: 'bulk-cancel', className: 'danger', onclick: () => count('cancel') }, 'Cancel all matching…'),
        h('button', { type: 'button', onclick: onClose }, 'Close')),
      status);
    panel.querySelector('#bulk-rerun').focus();
  }

  function request(action, rerun, dryRun) {
    return { action, filter, ...(rerun ? { rerun } : {}), dryRun };
  }

  async function count(action, rerun) {
    status.textContent = 'Counting…';
    let counted;
    try {
      counted = await post('startBulkAction', {}, request(action, rerun, true));
    } catch (error) {
      status.textContent = `Could not count: ${error.message}`;
      return;
    }
    const verb = action === 'rerun' ? 'Rerun' : 'Cancel';
    replaceChildren(panel,
      h('h2', { id: 'bulk-title' }, `${verb} all matching runs`),
      h('p', { id: 'bulk-count' }, `${counted.total} runs match (${described}).`),
      h('div', { className: 'buttons' },
        h('button', {
          type: 'button', id: 'bulk-confirm', className: action === 'cancel' ? 'danger' : undefined, disabled: counted.total === 0,
          onclick: () => run(action, rerun),
        }, `${verb} ${counted.total} runs`),
        h('button', { type: 'button', onclick: choose }, 'Back')),
      status);
    status.textContent = '';
    panel.querySelector('#bulk-confirm').focus();
  }

  async function run(action, rerun) {
    let bulk;
    try {
      bulk = await post('startBulkAction', {}, request(action, rerun, false));
    } catch (error) {
      status.textContent = `Could not start: ${error.message}`;
      return;
    }
    const bar = h('progress', { id: 'bulk-progress', max: Math.max(bulk.total, 1), value: bulk.done, 'aria-labelledby': 'bulk-title' });
    const text = h('p', { id: 'bulk-progress-text', role: 'status' });
    replaceChildren(panel, h('h2', { id: 'bulk-title' }, `${action === 'rerun' ? 'Rerunning' : 'Cancelling'} matching runs`), bar, text);
    const show = (b) => {
      bar.max = Math.max(b.total, 1);
      bar.value = b.done + b.failed;
      text.textContent = `${b.done}/${b.total} done${b.failed ? `, ${b.failed} failed` : ''} (${b.status})`;
    };
    show(bulk);
    while (bulk.status === 'running' || bulk.status === 'counted') {
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
      try {
        bulk = await get('getBulkAction', { id: bulk.id });
      } catch (error) {
        text.textContent = `Lost track of the bulk action ${bulk.id}: ${error.message}`;
        return;
      }
      show(bulk);
    }
    announce(`Bulk ${action} finished: ${bulk.done}/${bulk.total} done`);
    const errors = bulk.errors ?? [];
    panel.append(
      errors.length ? h('ul', { className: 'errors' }, errors.slice(0, 20).map((e) => h('li', {}, h('a', { href: `#/runs/${encodeURIComponent(e.runId)}` }, e.runId), `: ${e.message}`))) : '',
      h('button', { type: 'button', onclick: onClose }, 'Close'));
    onDone?.();
  }

  choose();
  return panel;
}
