// Pipelines: each one's schedule with its next fire times, whether it is paused (by whom, since
// when), its last runs, and (operators) pause/resume. Polled: pipelines change rarely, and a pause
// done elsewhere shows within 2 s.
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

export function renderPipelinesPage(container, context) {
  const body = h('div');
  const message = h('p', { role: 'status', className: 'message-line' });
  replaceChildren(container, h('h1', {}, 'Pipelines'), message, body);
  const setMessage = (text) => { message.textContent = text; };
  const live = keepLive({
    load: async () => {
      const { pipelines } = await get('listPipelines');
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
