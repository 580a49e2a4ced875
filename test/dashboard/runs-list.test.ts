// The runs list in headless Chromium against a real ops server on the local cloud: filters are in
// the URL and survive a reload, "Load more" reaches every run by cursor, and "select all matching"
// → bulk rerun shows the dry-run count first, then progress up to 75/75.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCloud } from '../support/local-cloud';
import { startDashboardWorld, type DashboardWorld } from './dashboard-world';
import { seedFailedRun, seedManyEmptyRuns } from './seed-runs';

let world: DashboardWorld;
const PAGED = 35;
const BULK = 75;
const pagedIds = Array.from({ length: PAGED }, (_, i) => `pos-${String(i).padStart(3, '0')}`);
const bulkIds = Array.from({ length: BULK }, (_, i) => `inbox-${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  world = await startDashboardWorld(localCloud());
  const seeding = Date.now();
  const now = Date.now();
  await seedManyEmptyRuns(world.storeWithClock, pagedIds, { pipeline: 'restaurant-pos', newest: new Date(now - 60_000) });
  await seedManyEmptyRuns(world.storeWithClock, bulkIds, { pipeline: 'vendor-inbox', newest: new Date(now - 30_000) });
  await seedFailedRun(world.runs, world.clock, 'pos-failed-1', { pipeline: 'restaurant-pos', startedAt: new Date(now - 10_000) });
  await seedFailedRun(world.runs, world.clock, 'inbox-failed-1', { pipeline: 'vendor-inbox', startedAt: new Date(now - 5_000), file: 'invoice.pdf' });
  world.clock.real();
  process.stderr.write(`seeded ${PAGED + BULK + 2} runs in ${Date.now() - seeding} ms\n`);
}, 240_000);

afterAll(async () => {
  await world?.stop();
});

const rowIds = (page: import('playwright-core').Page) => page.locator('#runs-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')));

describe('runs list', () => {
  it('keeps its filters in the URL across a reload', async () => {
    const page = await world.pageAs('operator');
    await page.locator('#runs-table').waitFor();
    await page.getByLabel('Pipeline').selectOption('restaurant-pos');
    await page.getByRole('checkbox', { name: 'failed', exact: true }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe('#/runs?pipeline=restaurant-pos&status=failed');
    await expect.poll(() => rowIds(page)).toEqual(['pos-failed-1']);

    // Times in the browser's zone, remembered across the reload too.
    await page.locator('#tz-toggle').click();
    expect(await page.locator('#tz-toggle').textContent()).toBe('Times: local (Europe/Berlin)');

    await page.reload();
    await page.locator('#runs-table').waitFor();
    await expect.poll(() => rowIds(page)).toEqual(['pos-failed-1']);
    expect(await page.locator('#tz-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Pipeline').inputValue()).toBe('restaurant-pos');
    expect(await page.getByRole('checkbox', { name: 'failed', exact: true }).isChecked()).toBe(true);
    // The row says what failed, where and why, in one line.
    const row = page.locator('#runs-table tr[data-run-id="pos-failed-1"]');
    expect(await row.textContent()).toContain('load');
    expect(await row.locator('.error-line').textContent()).toContain('invalid input syntax');
    expect(await row.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} Europe\/Berlin$/);
    await page.locator('#tz-toggle').click();
    expect(await row.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    // Every form control has a label a screen reader can say.
    expect(await page.evaluate(`[...document.querySelectorAll('main select, main input')].filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML)`)).toEqual([]);
  });

  it('reaches every run of a pipeline with "Load more"', async () => {
    // Both pipelines' ended runs: 110, three pages of 50.
    const page = await world.pageAs('operator', '#/runs?status=no-new-data');
    await page.locator('#runs-table').waitFor();
    await expect.poll(async () => (await rowIds(page)).length).toBe(50);
    // By keyboard: focus stays on "Load more" from page to page, so Enter walks them all.
    await page.locator('#load-more').focus();
    while (await page.locator('#load-more').count()) {
      const before = (await rowIds(page)).length;
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await rowIds(page)).length).toBeGreaterThan(before);
    }
    const ids = await rowIds(page);
    // Newest first: the inbox runs were seeded 30 s later than the point-of-sale ones, a minute apart.
    const expected = [...pagedIds.map((id, i) => ({ id, t: -60_000 - i * 60_000 })), ...bulkIds.map((id, i) => ({ id, t: -30_000 - i * 60_000 }))]
      .sort((a, b) => b.t - a.t).map((r) => r.id);
    expect(ids).toEqual(expected);
    expect(await page.locator('#runs-count').textContent()).toBe(`All ${PAGED + BULK} matching runs shown`);
  });

  it('bulk-reruns all 75 matching runs: the dry-run count first, then progress to 75/75', async () => {
    const page = await world.pageAs('operator', '#/runs?pipeline=vendor-inbox&status=no-new-data');
    await page.locator('#runs-table').waitFor();
    await page.locator('#select-all').click();
    await page.locator('#bulk-rerun').click();
    await expect.poll(() => page.locator('#bulk-count').textContent()).toContain(`${BULK} runs match`);
    // Nothing happened yet: the count was a dry run.
    expect((await world.runs.listRuns({ parentRunId: bulkIds[0]!, limit: 5 })).runs).toEqual([]);
    await page.locator('#bulk-confirm').click();
    await expect.poll(() => page.locator('#bulk-progress-text').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^${BULK}/${BULK} done \\(done\\)`));
    expect(await page.locator('#bulk-progress').evaluate((el) => [el.getAttribute('value'), el.getAttribute('max')])).toEqual([String(BULK), String(BULK)]);
    const children = await world.runs.listRuns({ pipeline: 'vendor-inbox', status: ['queued'], limit: 200 });
    expect(new Set(children.runs.map((r) => r.parentRunId))).toEqual(new Set(bulkIds));
  });
});
