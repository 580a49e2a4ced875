// The dead letters page in headless Chromium against a real ops server on the local cloud, with
// letters kept through the Firestore DeadLetterStore as notify keeps them and their runs written
// through the RunStore: filters are in the URL and survive a reload; "Load more" reaches every
// letter by cursor; a letter's original message opens in place (JSON decoded as text, binary data as
// base64) and the letter has a page of its own; replaying a letter whose run ended
// queues a rerun of that run, which the letter then shows; replaying one whose run is still going
// is refused with the reason, one by one and for all matching (the dry-run count first); purge
// removes letters; a viewer gets no Replay or Purge button and the API refuses a forced one.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KeptDeadLetter } from '../../functions/runtime/dead-letter-store';
import { localCloud } from '../support/local-cloud';
import { startDashboardWorld, type DashboardWorld } from './dashboard-world';
import { seedFailedRun, seedRunningRun } from './seed-runs';

let world: DashboardWorld;
const failedRun = 'dl-run-failed';
const runningRun = 'dl-run-running';
const letters: Record<'trigger' | 'stuck' | 'binary' | 'old' | 'inbox', KeptDeadLetter> = {} as never;
// Aggregate letters of two days ago, a minute apart: more than one page (50).
const PAGED = 55;
let pagedIds: string[] = [];
const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

beforeAll(async () => {
  world = await startDashboardWorld(localCloud());
  const now = Date.now();
  await seedFailedRun(world.runs, world.clock, failedRun, { pipeline: 'restaurant-pos', startedAt: new Date(now - 3_600_000) });
  const { fileKey } = await seedRunningRun(world.runs, world.clock, runningRun, { pipeline: 'restaurant-pos', startedAt: new Date(now - 600_000) });
  world.clock.real();
  const ago = (ms: number) => new Date(now - ms).toISOString();
  // Fetch gave up on the failed run's trigger: its replay reruns that run from fetch.
  letters.trigger = await world.deadLetters.keep({
    pipeline: 'restaurant-pos', stage: 'fetch', reason: 'gave up after 5 attempts in fetch', attempts: 5, runId: failedRun, receivedAt: ago(1_800_000),
    message: { data: json({ type: 'sluice.trigger', runId: failedRun, dates: ['2026-11-30'] }), attributes: { sluiceRunId: failedRun }, messageId: 'dl-m-trigger' },
  });
  // Load gave up on a file of a run still going: a replay must wait for the run to end.
  letters.stuck = await world.deadLetters.keep({
    pipeline: 'restaurant-pos', stage: 'load', reason: 'gave up after 8 attempts in load', attempts: 8, runId: runningRun, fileKey, file: 'orders_2026-11-30.csv', receivedAt: ago(300_000),
    message: { data: json({ type: 'sluice.staged', runId: runningRun, fileKey }), attributes: { sluiceRunId: runningRun, sluiceFileKey: fileKey }, messageId: 'dl-m-stuck' },
  });
  letters.binary = await world.deadLetters.keep({
    pipeline: 'vendor-inbox', stage: 'transform', reason: 'message could not be read (undecodable: not JSON)', receivedAt: ago(240_000),
    message: { data: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'), attributes: {}, messageId: 'dl-m-binary' },
  });
  letters.inbox = await world.deadLetters.keep({
    pipeline: 'vendor-inbox', stage: 'aggregate', reason: 'gave up after 5 attempts in aggregate', attempts: 5, receivedAt: ago(120_000),
    message: { data: json({ type: 'sluice.aggregate' }), attributes: {}, messageId: 'dl-m-inbox' },
  });
  const paged = await Promise.all(Array.from({ length: PAGED }, (_, i) => world.deadLetters.keep({
    pipeline: 'restaurant-pos', stage: 'aggregate', reason: 'gave up after 5 attempts in aggregate', attempts: 5, receivedAt: ago(2 * 86_400_000 + i * 60_000),
    message: { data: json({ type: 'sluice.aggregate', i }), attributes: {}, messageId: `dl-m-paged-${i}` },
  })));
  pagedIds = paged.map((l) => l.id);
  // Older than a day: outside the "last 24 hours" filter.
  letters.old = await world.deadLetters.keep({
    pipeline: 'restaurant-pos', stage: 'load', reason: 'gave up after 8 attempts in load', attempts: 8, receivedAt: ago(3 * 86_400_000),
    message: { data: json({ type: 'sluice.staged' }), attributes: {}, messageId: 'dl-m-old' },
  });
});

afterAll(async () => {
  await world?.stop();
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

// Every page a test opens, with the script errors it raised: none is allowed.
const pageErrors: string[] = [];
async function openAs(role: 'operator' | 'viewer', path: string): Promise<Page> {
  const page = await world.pageAs(role, path);
  page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
  return page;
}

const shownIds = (page: Page) => page.locator('#dead-letters tbody.letter').evaluateAll((groups) => groups.map((g) => g.getAttribute('data-letter-id')));
const group = (page: Page, letter: KeptDeadLetter) => page.locator(`#dead-letters tbody[data-letter-id="${letter.id}"]`);

describe('dead letters page', () => {
  it('keeps its filters in the URL across a reload and opens a letter\'s original message', async () => {
    const page = await openAs('operator', '#/dead-letters');
    await page.locator('#dead-letters').waitFor();
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Dead letters');
    await expect.poll(async () => (await shownIds(page)).length).toBe(50);
    expect((await shownIds(page)).slice(0, 5)).toEqual([letters.inbox.id, letters.binary.id, letters.stuck.id, letters.trigger.id, pagedIds[0]]);
    expect(await page.locator('#dl-load-more').count()).toBe(1);
    await page.getByLabel('Pipeline').selectOption('restaurant-pos');
    await page.getByLabel('Stage').selectOption('load');
    await page.getByLabel('Received').selectOption('24h');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe('#/dead-letters?pipeline=restaurant-pos&stage=load&window=24h');
    await expect.poll(() => shownIds(page)).toEqual([letters.stuck.id]);

    await page.reload();
    await page.locator('#dead-letters').waitFor();
    await expect.poll(() => shownIds(page)).toEqual([letters.stuck.id]);
    expect(await page.getByLabel('Pipeline').inputValue()).toBe('restaurant-pos');
    expect(await page.getByLabel('Stage').inputValue()).toBe('load');
    expect(await page.getByLabel('Received').inputValue()).toBe('24h');
    // One line per letter: when (exact on hover), where, why, its run and file, how often, replays.
    const row = group(page, letters.stuck).locator('tr').first();
    const text = (await row.textContent()) ?? '';
    for (const part of ['restaurant-pos', 'load', 'gave up after 8 attempts in load', 'orders_2026-11-30.csv', '8', 'none']) expect(text).toContain(part);
    expect(await row.locator('time').textContent()).toBe('5 min ago');
    expect(await row.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(await row.locator(`a[href="#/runs/${runningRun}"]`).count()).toBe(1);

    // The original message, closed until asked for: attributes and the data as text.
    const details = group(page, letters.stuck).locator('details');
    expect(await details.locator('pre').isVisible()).toBe(false);
    await details.locator('summary').click();
    expect(await details.locator('table.attributes').textContent()).toContain('sluiceFileKey');
    expect(JSON.parse((await details.locator('pre').textContent()) ?? '')).toMatchObject({ type: 'sluice.staged', runId: runningRun });
    expect(await details.textContent()).toContain('UTF-8 text');
    // The letter alone, by its link (GET /dead-letters/{id}): its message open.
    await details.getByRole('link', { name: letters.stuck.id }).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/dead-letters/${letters.stuck.id}`);
    await expect.poll(() => shownIds(page)).toEqual([letters.stuck.id]);
    expect(await group(page, letters.stuck).locator('details').getAttribute('open')).toBe('');
    expect(await page.locator('h1').textContent()).toBe('Dead letter');

    // Binary data is not forced into text.
    await page.goto(`${world.url}/ui/#/dead-letters?pipeline=vendor-inbox&stage=transform`);
    await expect.poll(() => shownIds(page)).toEqual([letters.binary.id]);
    const binary = group(page, letters.binary).locator('details');
    await binary.locator('summary').click();
    expect(await binary.textContent()).toContain('not text; base64');
    expect(await binary.locator('pre').textContent()).toBe(letters.binary.message.data);
    // Every form control has a label a screen reader can say.
    expect(await page.evaluate(`[...document.querySelectorAll('main select, main input')].filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML)`)).toEqual([]);
  });

  it('reaches every letter with "Load more", newest first', async () => {
    const page = await openAs('operator', '#/dead-letters?pipeline=restaurant-pos&stage=aggregate');
    await expect.poll(async () => (await shownIds(page)).length).toBe(50);
    expect(await page.locator('#dl-count').textContent()).toBe('Showing 50 dead letters');
    // By keyboard: focus stays on the button across the redraw.
    await page.locator('#dl-load-more').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => shownIds(page)).toEqual(pagedIds);
    expect(await page.locator('#dl-load-more').count()).toBe(0);
    expect(await page.locator('#dl-count').textContent()).toBe(`All ${PAGED} matching dead letters shown`);
  });

  it('gives a viewer no Replay or Purge button', async () => {
    const page = await openAs('viewer', '#/dead-letters?pipeline=restaurant-pos&stage=load');
    await page.locator('#dead-letters').waitFor();
    await expect.poll(() => page.locator('#whoami').textContent()).toContain('viewer');
    await expect.poll(() => shownIds(page)).toEqual([letters.stuck.id, letters.old.id]);
    expect(await page.locator('main button').evaluateAll((buttons) => buttons.map((b) => b.textContent))).toEqual(['Apply filters', 'Refresh']);
    expect(await page.locator('#dead-letters th', { hasText: 'Actions' }).count()).toBe(0);
    // The same session forcing the API: refused, and the letter is kept.
    const forced = await page.evaluate(async (id) => {
      const response = await fetch('/dead-letters:purge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids: [id] }) });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    }, letters.stuck.id);
    expect(forced).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await world.deadLetters.get(letters.stuck.id)).toBeDefined();
  });

  it('replays a letter whose run ended as a rerun, and refuses one whose run is still going with the reason', async () => {
    const page = await openAs('operator', '#/dead-letters?stage=fetch');
    await expect.poll(() => shownIds(page)).toEqual([letters.trigger.id]);
    await page.getByRole('button', { name: `Replay dead letter ${letters.trigger.id}` }).click();
    const link = page.locator('#dl-message a');
    await link.waitFor();
    const childId = (await link.textContent()) ?? '';
    expect(await world.runs.getRun(childId)).toMatchObject({ parentRunId: failedRun, rerun: { of: failedRun, files: 'all', fromStage: 'fetch' }, actor: 'dev' });
    // The letter shows its replay: the rerun, by whom.
    const replays = group(page, letters.trigger).locator('.replays-cell');
    await expect.poll(() => replays.locator(`a[href="#/runs/${childId}"]`).count()).toBe(1);
    expect(await replays.textContent()).toContain('by dev');
    expect((await world.deadLetters.get(letters.trigger.id))?.replays).toEqual([expect.objectContaining({ rerunId: childId, actor: 'dev' })]);

    // Its run is still going: refused, saying so and why.
    await page.goto(`${world.url}/ui/#/dead-letters?stage=load&window=24h`);
    await expect.poll(() => shownIds(page)).toEqual([letters.stuck.id]);
    await page.getByRole('button', { name: `Replay dead letter ${letters.stuck.id}` }).click();
    await expect.poll(() => page.locator('#dl-message').textContent()).toContain(`Not replayed: run ${runningRun} is running; replay once it has ended`);

    // All matching: the dry-run count first, then the result with what was skipped and why.
    await page.locator('#dl-select-all').click();
    await page.locator('#dl-replay-all').click();
    await expect.poll(() => page.locator('#dl-bulk-count').textContent()).toBe('1 dead letter matches (stage load, received in the last 24 hours).');
    await page.locator('#dl-bulk-confirm').click();
    await expect.poll(() => page.locator('#dl-bulk-result').textContent()).toBe('0 of 1 dead letter replayed, 1 skipped.');
    expect(await page.locator(`#dl-bulk-skipped li[data-letter-id="${letters.stuck.id}"]`).textContent()).toContain(`run ${runningRun} is running`);
    expect((await world.runs.getRun(runningRun))?.status).toBe('running');
    expect((await world.deadLetters.get(letters.stuck.id))?.replays).toBeUndefined();
  });

  it('purges one letter after a confirmation, and all matching after the dry-run count', async () => {
    const page = await openAs('operator', '#/dead-letters?pipeline=vendor-inbox');
    await expect.poll(() => shownIds(page)).toEqual([letters.inbox.id, letters.binary.id]);
    await page.getByRole('button', { name: `Purge dead letter ${letters.binary.id}` }).click();
    // Nothing is gone until confirmed.
    expect(await world.deadLetters.get(letters.binary.id)).toBeDefined();
    await page.getByRole('button', { name: `Confirm: purge dead letter ${letters.binary.id}` }).click();
    await expect.poll(() => shownIds(page)).toEqual([letters.inbox.id]);
    expect(await page.locator('#dl-message').textContent()).toBe(`Purged ${letters.binary.id}.`);
    expect(await world.deadLetters.get(letters.binary.id)).toBeUndefined();
    await page.goto(`${world.url}/ui/#/dead-letters/${letters.binary.id}`);
    await expect.poll(() => page.locator('.dead-letters-body').textContent()).toBe(`There is no dead letter ${letters.binary.id} (purged, or past its retention).`);
    await page.goto(`${world.url}/ui/#/dead-letters?pipeline=vendor-inbox`);
    await expect.poll(() => shownIds(page)).toEqual([letters.inbox.id]);

    await page.locator('#dl-select-all').click();
    await page.locator('#dl-purge-all').click();
    await expect.poll(() => page.locator('#dl-bulk-count').textContent()).toBe('1 dead letter matches (pipeline vendor-inbox).');
    expect(await world.deadLetters.get(letters.inbox.id)).toBeDefined();
    await page.locator('#dl-bulk-confirm').click();
    await expect.poll(() => page.locator('#dl-bulk-result').textContent()).toBe('1 of 1 dead letter purged.');
    await expect.poll(() => page.locator('.dead-letters-body').textContent()).toBe('No dead letters match these filters.');
    expect(await world.deadLetters.get(letters.inbox.id)).toBeUndefined();
    // The other pipeline's letters are untouched.
    expect(await world.deadLetters.get(letters.stuck.id)).toBeDefined();
  });
});
