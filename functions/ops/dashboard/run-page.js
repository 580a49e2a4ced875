// One run: why it failed first (stage, file, row, message — no click needed), then the controls,
// the stage timeline against the pipeline's recent medians, the files, lineage and logs. Live: each
// change of the run re-reads GET /runs/{id}; sections are redrawn in place so focus stays put.
import { ApiError, get, post } from './api.js';
import { announce, formatNumber, h, replaceChildren, statusBadge } from './dom.js';
import { keepLive } from './live.js';
import { isPerson, runsTable } from './runs-page.js';
import { duration, timeElement } from './time.js';

const TERMINAL = ['succeeded', 'partial', 'failed', 'no-new-data', 'paused', 'cancelled'];

function meta(run) {
  const item = (label, value) => (value === undefined || value === '' ? '' : h('div', {}, h('dt', {}, label), h('dd', {}, value)));
  return h('dl', { className: 'meta' },
    item('Pipeline', h('a', { href: `#/runs?pipeline=${encodeURIComponent(run.pipeline)}` }, run.pipeline)),
    item('Trigger', isPerson(run.actor) ? `${run.trigger} by ${run.actor}` : run.trigger),
    item('Logical date', run.logicalDate),
    item('Started', timeElement(run.startedAt)),
    item('Duration', run.durationMs !== undefined ? duration(run.durationMs) : TERMINAL.includes(run.status) ? '' : 'running'),
    item('Files', `${run.endedFiles}/${run.expectedFiles ?? '?'} ended`),
    item('Rows', formatNumber(run.rows)));
}

// The error first: a run's own error, else its first failed or quarantined file's (the API picks).
function failure(detail) {
  const { error, run } = detail;
  if (!error) {
    if (run.status === 'paused' && run.skippedReason) return h('section', { className: 'panel notice', id: 'run-error' }, h('h2', {}, 'Not run: the pipeline was paused'), h('p', {}, run.skippedReason));
    if (run.cancel) return h('section', { className: 'panel notice', id: 'run-error' }, h('h2', {}, run.status === 'cancelled' ? 'Cancelled' : 'Cancelling'), h('p', {}, 'Asked by ', run.cancel.requestedBy, ' ', timeElement(run.cancel.requestedAt)));
    return '';
  }
  const fact = (label, value) => (value === undefined ? '' : h('div', {}, h('dt', {}, label), h('dd', {}, String(value))));
  return h('section', { className: 'panel failure', id: 'run-error', 'aria-labelledby': 'run-error-title' },
    h('h2', { id: 'run-error-title' }, run.status === 'failed' ? `Failed in ${error.stage}` : `${run.status === 'partial' ? 'Partly loaded' : run.status}: a file stopped in ${error.stage}`),
    h('dl', { className: 'facts' }, fact('Stage', error.stage), fact('File', error.file), fact('Row', error.row), fact('Attempt', error.attempt)),
    h('p', { className: 'message', id: 'run-error-message' }, error.message),
    h('p', { className: 'retry' }, 'Retry from a shell: ', h('code', {}, detail.retryCommand)));
}

function warnings(run) {
  if (!run.warnings?.length) return '';
  return h('section', { className: 'panel notice' }, h('h2', {}, 'Warnings'), h('ul', {}, run.warnings.map((w) => h('li', {}, w))));
}

function controls(detail, onChanged, setMessage) {
  const { run } = detail;
  const files = h('select', { id: 'rerun-files' }, h('option', { value: 'all' }, 'all files'), h('option', { value: 'failed', selected: run.status === 'failed' || run.status === 'partial' }, 'failed files only'));
  const from = h('select', { id: 'rerun-from' }, ['fetch', 'transform', 'load'].map((s) => h('option', { value: s }, s)));
  const act = async (button, doing, call) => {
    button.disabled = true;
    setMessage(doing);
    try {
      const answer = await call();
      onChanged(answer);
    } catch (error) {
      setMessage(`${error instanceof ApiError && error.status === 403 ? 'Not allowed' : 'Failed'}: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  };
  const rerun = h('button', {
    type: 'button', id: 'rerun',
    onclick: (event) => act(event.currentTarget, 'Queueing the rerun…', async () => {
      const queued = await post('rerunRun', { id: run.runId }, { files: files.value, fromStage: from.value });
      setMessage(h('span', {}, 'Rerun queued: ', h('a', { href: `#/runs/${encodeURIComponent(queued.runId)}` }, queued.runId)));
      announce(`Rerun ${queued.runId} queued`);
      return queued;
    }),
  }, 'Rerun');
  const cancel = TERMINAL.includes(run.status) || run.status === 'cancelling' ? '' : h('button', {
    type: 'button', id: 'cancel', className: 'danger',
    onclick: (event) => act(event.currentTarget, 'Asking the run to cancel…', async () => {
      const summary = await post('cancelRun', { id: run.runId }, {});
      setMessage(`Cancel asked: the run is ${summary.status}`);
      return summary;
    }),
  }, 'Cancel run');
  return h('section', { className: 'panel controls', 'aria-label': 'Controls' },
    h('div', { className: 'field-row' },
      h('label', { for: 'rerun-files' }, 'Rerun'), files,
      h('label', { for: 'rerun-from' }, 'from stage'), from,
      rerun, cancel));
}

// Queued vs running time per stage, as bars scaled to the longest of them and of the medians.
function timeline(detail) {
  const medians = detail.medianStageMs ?? {};
  const scale = Math.max(1, ...detail.stages.map((s) => (s.queuedMs ?? 0) + (s.runningMs ?? 0)), ...Object.values(medians));
  const pct = (ms) => `${Math.min(100, (100 * ms) / scale).toFixed(2)}%`;
  const rows = detail.stages.map((stage) => {
    const median = medians[stage.stage];
    const bar = h('div', { className: 'bar', 'aria-hidden': 'true' });
    const queued = h('span', { className: 'queued' });
    const running = h('span', { className: `running stage-${stage.status}` });
    queued.style.width = pct(stage.queuedMs ?? 0);
    running.style.width = pct(stage.runningMs ?? 0);
    bar.append(queued, running);
    if (median !== undefined) {
      const mark = h('span', { className: 'median' });
      mark.style.left = pct(median);
      bar.append(mark);
    }
    const slower = median !== undefined && stage.runningMs !== undefined && stage.runningMs > 2 * median;
    return h('tr', { dataset: { stage: stage.stage, status: stage.status } },
      h('th', { scope: 'row' }, stage.stage),
      h('td', {}, h('span', { className: `badge stage-${stage.status}` }, stage.status)),
      h('td', { className: 'num' }, `${stage.files.done}/${stage.files.total}`, stage.files.failed ? h('span', { className: 'bad' }, ` (${stage.files.failed} failed)`) : '', stage.files.running ? ` (${stage.files.running} running)` : ''),
      h('td', { className: 'num' }, duration(stage.queuedMs)),
      h('td', { className: 'num' }, duration(stage.runningMs), slower ? h('span', { className: 'bad' }, ' slow') : ''),
      h('td', { className: 'num' }, median === undefined ? '' : duration(median)),
      h('td', { className: 'num' }, formatNumber(stage.rows)),
      h('td', { className: 'bar-cell' }, bar));
  });
  return h('section', { className: 'panel' },
    h('table', { className: 'timeline', id: 'stages' },
      h('caption', {}, 'Stages: time queued and running, against the pipeline\'s recent median'),
      h('thead', {}, h('tr', {}, ['Stage', 'Status', 'Files', 'Queued', 'Running', 'Median', 'Rows', 'Timeline'].map((n) => h('th', { scope: 'col' }, n)))),
      h('tbody', {}, rows)),
    h('p', { className: 'legend muted' }, h('span', { className: 'swatch queued' }), ' queued ', h('span', { className: 'swatch running' }), ' running ', h('span', { className: 'swatch median' }), ' median'));
}

function filesGrid(files) {
  if (!files.length) return h('section', { className: 'panel' }, h('h2', {}, 'Files'), h('p', { className: 'muted' }, 'No files yet.'));
  return h('section', { className: 'panel' },
    h('table', { className: 'files', id: 'files' },
      h('caption', {}, `Files (${files.length})`),
      h('thead', {}, h('tr', {}, ['File', 'Status', 'Stage', 'Rule', 'Table', 'Rows', 'Reason'].map((n) => h('th', { scope: 'col', className: n === 'Rows' ? 'num' : undefined }, n)))),
      h('tbody', {}, files.map((f) => h('tr', { dataset: { fileKey: f.fileKey, status: f.status } },
        h('td', { className: 'file-name', title: f.fileKey }, f.name),
        h('td', {}, statusBadge(f.status)),
        h('td', {}, f.stage ?? ''),
        h('td', {}, f.rule ?? ''),
        h('td', {}, f.table ?? ''),
        h('td', { className: 'num' }, formatNumber(f.rows)),
        h('td', { className: 'reason' }, f.reason ?? '', f.row !== undefined ? ` (row ${f.row})` : '', f.quarantinedAs ? h('span', { className: 'muted' }, ` → ${f.quarantinedAs}`) : ''))))));
}

function lineage(detail) {
  const { parent, children, run } = detail;
  if (!parent && !children.length && !run.rerun) return '';
  return h('section', { className: 'panel', id: 'lineage', 'aria-labelledby': 'lineage-title' },
    h('h2', { id: 'lineage-title' }, 'Lineage'),
    run.rerun ? h('p', {}, `A rerun of ${run.rerun.of}: ${run.rerun.files} files from ${run.rerun.fromStage}.`) : '',
    parent ? runsTable('Parent run', [parent], { id: 'parent-run' }) : '',
    children.length ? runsTable('Reruns of this run', children, { id: 'child-runs' }) : '');
}

function history(run) {
  const parts = [];
  if (run.actions?.length) {
    parts.push(h('table', { className: 'actions' },
      h('caption', {}, 'Operator actions'),
      h('thead', {}, h('tr', {}, ['When', 'Action', 'Who', 'Detail'].map((n) => h('th', { scope: 'col' }, n)))),
      h('tbody', {}, run.actions.map((a) => h('tr', {}, h('td', {}, timeElement(a.at)), h('td', {}, a.action), h('td', {}, a.actor),
        h('td', {}, Object.entries(a.detail ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')))))));
  }
  if (run.dryRun) {
    parts.push(h('h2', {}, `Dry run: ${run.dryRun.items.length} files would be fetched`),
      h('ul', {}, run.dryRun.items.map((i) => h('li', {}, i.name, i.size !== undefined ? h('span', { className: 'muted' }, ` (${formatNumber(i.size)} bytes)`) : ''))));
  }
  return parts.length ? h('section', { className: 'panel' }, parts) : '';
}

function logsSection(runId) {
  const table = h('tbody');
  const more = h('div');
  const note = h('p', { className: 'muted', role: 'status' });
  async function load(pageToken) {
    try {
      const page = await get('getRunLogs', { id: runId }, { limit: 200, pageToken });
      if (!pageToken) table.replaceChildren();
      for (const entry of page.entries) {
        table.append(h('tr', { className: `sev-${String(entry.severity).toLowerCase()}` },
          h('td', {}, timeElement(entry.timestamp, { relative: false })), h('td', {}, entry.severity), h('td', {}, entry.stage ?? ''), h('td', { className: 'log-message' }, entry.message)));
      }
      note.textContent = table.children.length ? '' : 'No log lines for this run.';
      replaceChildren(more, page.nextPageToken ? h('button', { type: 'button', onclick: () => load(page.nextPageToken) }, 'More log lines') : '');
    } catch (error) {
      note.textContent = `Logs unavailable: ${error.message}`;
    }
  }
  const section = h('section', { className: 'panel', id: 'logs' },
    h('table', { className: 'logs' },
      h('caption', {}, 'Logs ', h('button', { type: 'button', className: 'small', onclick: () => load() }, 'Refresh')),
      h('thead', {}, h('tr', {}, ['Time', 'Severity', 'Stage', 'Message'].map((n) => h('th', { scope: 'col' }, n)))),
      table),
    note, more);
  return { section, load };
}

// Redraws a section only when what it shows changed: a live reload that changed nothing there keeps
// its elements (and a reader's place in them).
function redraw(slot, data, build) {
  const key = JSON.stringify(data ?? null);
  if (slot.dataset.key === key) return;
  slot.dataset.key = key;
  replaceChildren(slot, build());
}

export function renderRunPage(container, runId, context) {
  const slots = Object.fromEntries(['head', 'error', 'warnings', 'controls', 'timeline', 'files', 'lineage', 'history'].map((n) => [n, h('div', { id: `slot-${n}` })]));
  const message = h('p', { id: 'control-message', role: 'status', className: 'message-line' });
  const logs = logsSection(runId);
  replaceChildren(container, slots.head, slots.error, slots.warnings, slots.controls, message, slots.timeline, slots.files, slots.lineage, logs.section, slots.history);
  let last;
  let controlsKey;

  const setMessage = (text) => replaceChildren(message, text);

  async function load() {
    let detail;
    try {
      detail = await get('getRun', { id: runId });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        replaceChildren(container, h('h1', {}, 'Run not found'), h('p', {}, `There is no run ${runId}.`), h('a', { href: '#/runs' }, 'All runs'));
        live.stop();
        return;
      }
      throw error;
    }
    const { run } = detail;
    document.title = `${run.status} · ${run.runId} · Sluice`;
    redraw(slots.head, run, () => [h('div', { className: 'run-head' }, h('h1', {}, 'Run ', h('span', { className: 'run-id' }, run.runId)), statusBadge(run.status)), meta(run)]);
    redraw(slots.error, [detail.error, run.status, run.skippedReason, run.cancel, detail.retryCommand], () => failure(detail));
    redraw(slots.warnings, run.warnings, () => warnings(run));
    const key = `${run.status}`;
    if (context.canOperate && key !== controlsKey) {
      controlsKey = key;
      replaceChildren(slots.controls, controls(detail, () => live.reload(), setMessage));
    }
    redraw(slots.timeline, [detail.stages, detail.medianStageMs], () => timeline(detail));
    redraw(slots.files, detail.files, () => filesGrid(detail.files));
    redraw(slots.lineage, [detail.parent, detail.children, run.rerun], () => lineage(detail));
    redraw(slots.history, [run.actions, run.dryRun], () => history(run));
    if (last) {
      if (last.run.status !== run.status) {
        announce(`Run is ${run.status}`);
        logs.load();
      } else {
        for (const stage of detail.stages) {
          const before = last.stages.find((s) => s.stage === stage.stage);
          if (before && before.status !== stage.status) announce(`${stage.stage} is ${stage.status}`);
        }
      }
    }
    last = detail;
  }

  const live = keepLive({
    load,
    stream: { route: 'runEvents', params: { id: runId }, query: {} },
    onError: (error) => setMessage(`Could not refresh: ${error.message}`),
  });
  logs.load();
  return { stop: () => live.stop() };
}
