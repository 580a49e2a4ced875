// Pipelines: each one's schedule with its next fire times, whether it is paused (by whom, since
// when), its last runs, and (operators) pause/resume and "Run now" (POST /runs, optionally for an
// export date or as a dry run). Polled: pipelines change rarely, and a pause done elsewhere shows
// within 2 s. The run form sits outside the polled table so a redraw never wipes what is typed.
import { get, post } from './api.js';
import { announce, h, replaceChildren, statusBadge } from './dom.js';
import { keepLive } from './live.js';
import { timeElement } from './time.js';

function row(pipeline, context, onChanged, setMessage) {
  const toggle = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    const verb = pipeline.paused ? 'resume' : 'pause';
    try {
      await post(pipeline.paused ? 'resumePipeline' : 'pausePipeline', { name: pipeline.name }, {});
      announce(`${pipeline.name} ${pipeline.paused ? 'resumed' : 'paused'}`);
      setMessage('');
      onChanged();
    } catch (error) {
      setMessage(`Could not ${verb} ${pipeline.name}: ${error.message}`);
      button.disabled = false;
    }
  };
  return h('tr', { dataset: { pipeline: pipeline.name, paused: String(pipeline.paused) } },
    h('th', { scope: 'row' }, h('a', { href: `#/runs?pipeline=${encodeURIComponent(pipeline.name)}` }, pipeline.name), h('div', { className: 'muted' }, pipeline.description)),
    h('td', {}, pipeline.source),
    h('td', {}, pipeline.schedule ? [h('code', {}, pipeline.schedule.cron), h('div', { className: 'muted' }, pipeline.schedule.timeZone)] : h('span', { className: 'muted' }, 'no schedule')),
    h('td', {}, pipeline.schedule?.nextFireTimes.length
      ? h('ul', { className: 'plain' }, pipeline.schedule.nextFireTimes.slice(0, 3).map((t) => h('li', {}, timeElement(t, { relative: false }))))
      : ''),
    h('td', {}, pipeline.paused
      ? [h('span', { className: 'badge status-paused' }, 'paused'), pipeline.pausedBy ? h('div', { className: 'muted' }, 'by ', pipeline.pausedBy, ' ', pipeline.pausedAt ? timeElement(pipeline.pausedAt) : '') : '']
      : h('span', { className: 'badge status-succeeded' }, 'active')),
    h('td', {}, pipeline.lastRuns.length
      ? h('ul', { className: 'plain last-runs' }, pipeline.lastRuns.slice(0, 5).map((r) => h('li', {}, h('a', { href: `#/runs/${encodeURIComponent(r.runId)}`, 'aria-label': `${r.status} run ${r.runId}` }, statusBadge(r.status)), ' ', timeElement(r.startedAt))))
      : h('span', { className: 'muted' }, 'none yet')),
    context.canOperate
      ? h('td', {}, h('button', { type: 'button', className: pipeline.paused ? undefined : 'danger', onclick: toggle, 'aria-label': `${pipeline.paused ? 'Resume' : 'Pause'} ${pipeline.name}` }, pipeline.paused ? 'Resume' : 'Pause'))
      : '');
}

// Operators: trigger a pipeline now. The new run is queued at once; its page follows it live.
function triggerForm(setMessage) {
  const pipeline = h('select', { id: 'trigger-pipeline', name: 'pipeline' });
  const date = h('input', { id: 'trigger-date', name: 'date', type: 'date' });
  const dryRun = h('input', { id: 'trigger-dry-run', name: 'dryRun', type: 'checkbox' });
  const submit = h('button', { id: 'trigger', type: 'submit' }, 'Run now');
  const onsubmit = async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const body = { pipeline: pipeline.value, dryRun: dryRun.checked, ...(date.value ? { date: date.value } : {}) };
      const run = await post('triggerRun', {}, body);
      announce(`${run.pipeline}: run ${run.runId} ${run.status}`);
      location.hash = `#/runs/${encodeURIComponent(run.runId)}`;
    } catch (error) {
      setMessage(`Could not run ${pipeline.value}: ${error.message}`);
      submit.disabled = false;
    }
  };
  const form = h('form', { id: 'trigger-form', className: 'filters', onsubmit },
    h('label', { for: 'trigger-pipeline' }, 'Run pipeline'), pipeline,
    h('label', { for: 'trigger-date' }, 'for export date (optional)'), date,
    h('label', { for: 'trigger-dry-run' }, dryRun, ' dry run (list what would be fetched, claim nothing)'),
    submit);
  return {
    form,
    // The pipeline list, refreshed with each load; the choice made is kept.
    setPipelines(names) {
      const chosen = pipeline.value;
      if (pipeline.options.length === names.length && [...pipeline.options].every((o, i) => o.value === names[i])) return;
      replaceChildren(pipeline, names.map((name) => h('option', { value: name }, name)));
      if (names.includes(chosen)) pipeline.value = chosen;
    },
  };
}

export function renderPipelinesPage(container, context) {
  const body = h('div');
  const message = h('p', { role: 'status', className: 'message-line' });
  const setMessage = (text) => { message.textContent = text; };
  const trigger = context.canOperate ? triggerForm(setMessage) : undefined;
  replaceChildren(container, h('h1', {}, 'Pipelines'), ...(trigger ? [trigger.form] : []), message, body);
  const live = keepLive({
    load: async () => {
      const { pipelines } = await get('listPipelines');
      trigger?.setPipelines(pipelines.map((p) => p.name));
      const headers = ['Pipeline', 'Source', 'Schedule', 'Next fire times', 'State', 'Last runs', ...(context.canOperate ? ['Action'] : [])];
      // Keep keyboard focus on the button that was pressed across the redraw.
      const focused = document.activeElement?.closest?.('tr')?.dataset.pipeline;
      replaceChildren(body, h('table', { className: 'pipelines', id: 'pipelines' },
        h('caption', { className: 'visually-hidden' }, 'Pipelines'),
        h('thead', {}, h('tr', {}, headers.map((n) => h('th', { scope: 'col' }, n)))),
        h('tbody', {}, pipelines.map((p) => row(p, context, () => live.reload(), setMessage)))));
      if (focused) body.querySelector(`tr[data-pipeline="${CSS.escape(focused)}"] button`)?.focus();
    },
    onError: (error) => setMessage(`Could not load pipelines: ${error.message}`),
  });
  return { stop: () => live.stop() };
}
