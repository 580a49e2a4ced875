// The run page in headless Chromium against a real ops server on the local cloud: a failed run's
// error (stage, file, row, message) is on screen without a click or a scroll; a stage change
// written through the RunStore shows within 2 s without a reload; a viewer sees no mutating
// button, and a mutation forced with the viewer's session is refused 403; an operator's rerun from
// a stage, cancel and pause/resume reach the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCloud } from '../support/local-cloud';
import { startDashboardWorld, VIEWER_TOKEN, type DashboardWorld } from './dashboard-world';
import { seedFailedRun, seedRunningRun, type SeededFailure } from './seed-runs';

let world: DashboardWorld;
let failure: SeededFailure;
const failedRun = 'run-failed-1';
const runningRun = 'run-running-1';
const cancelledRun = 'run-running-2';

beforeAll(async () => {
  world = await startDashboardWorld(localCloud());
  const base = Date.now() - 3_600_000;
  failure = await seedFailedRun(world.runs, world.clock, failedRun, { pipeline: 'restaurant-pos', startedAt: new Date(base) });
  await seedRunningRun(world.runs, world.clock, runningRun, { pipeline: 'restaurant-pos', startedAt: new Date(base + 60_000) });
  await seedRunningRun(world.runs, world.clock, cancelledRun, { pipeline: 'restaurant-pos', startedAt: new Date(base + 120_000) });
  world.clock.real();
});

afterAll(async () => {
  await world?.stop();
});

describe('run page', () => {
  it('shows why a failed run failed above the fold, without a click', async () => {
    const page = await world.pageAs('operator', `#/runs/${failedRun}`, { width: 1280, height: 720 });
    const panel = page.locator('#run-error');
    await panel.waitFor();
    await expect.poll(() => panel.textContent()).toContain(failure.message);
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('load');
    expect(text).toContain(failure.file);
    expect(text).toContain(String(failure.row));
    // Wholly inside the first screen: nothing to scroll to or click open.
    const box = await panel.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(720);
    expect(await page.evaluate('window.scrollY')).toBe(0);
    // The files grid names the failed file with its reason; operators get the controls.
    await expect.poll(() => page.locator(`#files tr[data-status="failed"]`).textContent()).toContain(failure.file);
    expect(await page.locator('#rerun').isVisible()).toBe(true);
  });

  it('shows a stage change written to the run within 2 s, without a reload', async () => {
    const page = await world.pageAs('operator', `#/runs/${runningRun}`);
    const transform = page.locator('#stages tr[data-stage="transform"]');
    await transform.waitFor();
    await expect.poll(() => transform.getAttribute('data-status')).toBe('running');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    // Let the event stream open before the change, as a user who has the page open would.
    await expect.poll(() => page.locator('html').getAttribute('data-live')).toBe('stream');

    const written = Date.now();
    await world.runs.stageSucceeded(runningRun, `${runningRun}-orders`, 'transform', { rows: 77 });
    await world.runs.stageStarted(runningRun, `${runningRun}-orders`, 'load');
    await page.locator('#stages tr[data-stage="load"][data-status="running"]').waitFor({ timeout: 2000 });
    const seenAfterMs = Date.now() - written;
    expect(seenAfterMs).toBeLessThan(2000);
    expect(await transform.getAttribute('data-status')).toBe('done');
    expect(navigations).toEqual([]);

    // A hidden tab stops listening; shown again, it catches up with what changed meanwhile.
    await page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); document.dispatchEvent(new Event('visibilitychange'))`);
    expect(await page.locator('html').getAttribute('data-live')).toBe('paused');
    await world.runs.stageSucceeded(runningRun, `${runningRun}-orders`, 'load', { rows: 77 });
    await page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }); document.dispatchEvent(new Event('visibilitychange'))`);
    await page.locator('#stages tr[data-stage="load"][data-status="done"]').waitFor({ timeout: 2000 });
    await expect.poll(() => page.locator('html').getAttribute('data-live')).toBe('stream');
  });

  it('lets an operator rerun from a stage, cancel a run and pause a pipeline', async () => {
    const page = await world.pageAs('operator', `#/runs/${failedRun}`);
    await page.locator('#rerun').waitFor();
    await page.getByLabel('Rerun').selectOption('failed');
    // From transform or load needs the parent's raw or staged objects, which seeded runs have not:
    // the API refuses it saying so, and the page shows why.
    await page.getByLabel('from stage').selectOption('transform');
    await page.locator('#rerun').click();
    await expect.poll(() => page.locator('#control-message').textContent()).toContain('rerun from fetch instead');
    await page.getByLabel('from stage').selectOption('fetch');
    await page.locator('#rerun').click();
    const link = page.locator('#control-message a');
    await link.waitFor();
    const childId = (await link.textContent()) ?? '';
    const child = await world.runs.getRun(childId);
    expect(child).toMatchObject({ parentRunId: failedRun, rerun: { of: failedRun, files: 'failed', fromStage: 'fetch' }, actor: 'dev' });
    // The parent's lineage lists its rerun without a reload.
    await page.locator(`#child-runs tr[data-run-id="${childId}"]`).waitFor({ timeout: 2000 });

    await page.goto(`${world.url}/ui/#/runs/${cancelledRun}`);
    await page.locator('#cancel').click();
    await expect.poll(async () => (await world.runs.getRun(cancelledRun))?.status).toMatch(/^cancell(ing|ed)$/);
    await expect.poll(() => page.locator('#run-error h2').textContent()).toMatch(/^Cancell(ing|ed)$/);
    expect(await page.locator('#cancel').count()).toBe(0);

    await page.goto(`${world.url}/ui/#/pipelines`);
    const row = page.locator('#pipelines tr[data-pipeline="restaurant-pos"]');
    await row.getByRole('button', { name: 'Pause restaurant-pos' }).click();
    await expect.poll(() => row.getAttribute('data-paused')).toBe('true');
    expect(await row.textContent()).toContain('by dev');
    await row.getByRole('button', { name: 'Resume restaurant-pos' }).click();
    await expect.poll(() => row.getAttribute('data-paused')).toBe('false');
  });

  it('lets an operator run a pipeline now, for an export date and as a dry run', async () => {
    const page = await world.pageAs('operator', '#/pipelines');
    await page.locator('#pipelines').waitFor();
    await page.getByLabel('Run pipeline').selectOption('restaurant-pos');
    await page.getByLabel('for export date (optional)').fill('2026-11-28');
    await page.getByLabel(/dry run/).check();
    await page.getByRole('button', { name: 'Run now' }).click();
    // The new run's page, at once: the run is queued (no fetch function consumes its trigger here).
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/runs\/manual-/);
    const runId = decodeURIComponent(new URL(page.url()).hash.slice('#/runs/'.length));
    const run = await world.runs.getRun(runId);
    expect(run).toMatchObject({ pipeline: 'restaurant-pos', status: 'queued', actor: 'dev', logicalDate: '2026-11-28', trigger: 'manual' });
    expect(run?.actions?.[0]).toMatchObject({ action: 'trigger', actor: 'dev' });
    await page.locator('#stages').waitFor();
  });

  it('gives a viewer no mutating button and refuses a forced mutation with 403', async () => {
    // Signed in by the link form npm start prints (#token=…): the token is a bearer header.
    const page = await world.pageAs('viewer', `#/runs/${runningRun}`, undefined, 'fragment');
    expect(page.url()).not.toContain('token');
    await page.locator('#stages').waitFor();
    await expect.poll(() => page.locator('#whoami').textContent()).toContain('viewer');
    expect(await page.locator('main button:is(#rerun, #cancel)').count()).toBe(0);
    expect(await page.locator('#slot-controls').innerHTML()).toBe('');
    await page.goto(`${world.url}/ui/#/runs`);
    await page.locator('#runs-table').waitFor();
    expect(await page.locator('#select-all').count()).toBe(0);
    await page.goto(`${world.url}/ui/#/pipelines`);
    await page.locator('#pipelines').waitFor();
    expect(await page.locator('#pipelines button').count()).toBe(0);
    expect(await page.locator('#trigger-form').count()).toBe(0);
    // The same session's token forcing the API: refused, and the run is untouched.
    const token = await page.evaluate('localStorage.getItem("sluice.token")');
    expect(token).toBe(VIEWER_TOKEN);
    const forced = await page.evaluate(async ({ id, token }) => {
      const response = await fetch(`/runs/${id}:cancel`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    }, { id: runningRun, token });
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe('forbidden');
    expect((await world.runs.getRun(runningRun))?.status).toBe('running');
  });
});
