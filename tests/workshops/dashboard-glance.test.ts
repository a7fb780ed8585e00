/**
 * The instructor's dashboard at a glance (issue 25), with 30 learners and all ten labs, in
 * Chromium against the stand-in runner (tests/workshops/dashboard-standin.ts). At 1366×768, 1920×1080
 * and phone width it takes a screenshot (into RL_E2E_SHOTS when set, else a temporary folder removed afterwards) and
 * checks from the DOM what the first screen holds: a one-line header, the toolbar, the summary
 * row and at least 15 (30 on 1920×1080) whole learner rows, no page scroll, lab headers on one
 * line with the full title for screen readers. Then the summary's filter, the "more" menu and
 * row actions by keyboard, both projector views, the English page, and axe in light and dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { formatViolations, gotoRobust, launchBrowser, runAxe } from '../e2e/helpers.ts';
import { STANDIN_KEY, startStandIn, type StandIn } from './dashboard-standin.ts';

const LABS = ['tagging', 'automated-build', 'push-private', 'registry-auth', 'save-load', 'registry-api', 'multistage', 'layer-history', 'digest-pull', 'signing'];
const N = 30;
const T0 = Date.now();
const SHOTS = process.env.RL_E2E_SHOTS ?? mkdtempSync(join(tmpdir(), 'rl-dashboard-shots-'));
const NAMES = ['Анна', 'Борис', 'Вера', 'Глеб', 'Дарья', 'Евгений', 'Жанна', 'Зоя', 'Игорь', 'Кира', 'Лев', 'Мария', 'Никита', 'Ольга', 'Павел'];
const iso = (minAgo: number) => new Date(T0 - minAgo * 60_000).toISOString();

/** Learner i: labs before i % 6 passed, that one started (failing for 25 min when i % 5 == 0), the rest not started. */
function learner(i: number) {
  const p = i % 6;
  const labs: Record<string, unknown> = {};
  LABS.forEach((lab, j) => {
    if (j < p) labs[lab] = { passed: true, firstPassedAt: iso(30), lastCheckedAt: iso(30), criteria: { a: true } };
    else if (j === p) labs[lab] = { passed: false, lastCheckedAt: iso(2), criteria: { a: false }, ...(i % 5 === 0 ? { failingSince: { criterion: 'a', since: iso(25) } } : {}) };
  });
  return {
    session: `s${String(i).padStart(3, '0')}`,
    name: i === 7 ? 'Александра Константинопольская-Щедрина' : `${NAMES[i % NAMES.length]} ${String.fromCharCode(1040 + (i % 28))}.`,
    state: 'ready',
    joinedAt: iso(40),
    lastActivityAt: iso(i % 9),
    expiresAt: new Date(T0 + 50 * 60_000).toISOString(),
    labs,
    quiz: { answered: (i % 4) * 5, correct: (i % 4) * 4 },
    connected: i % 4 !== 3,
    lastCheck: null,
  };
}
const LEARNERS = Array.from({ length: N }, (_, i) => learner(i));

describe('dashboard at a glance: 30 learners, ten labs (runner API stood in for)', { timeout: 240_000 }, () => {
  let standIn: StandIn;
  let browser: Browser;

  before(async () => {
    standIn = await startStandIn({
      labs: LABS,
      workshop: { title: 'Группа 7, понедельник', learners: N, seats: 32, createdAt: iso(60), endsAt: new Date(T0 + 75 * 60_000).toISOString(), reserve: 2, ready: 2 },
      learners: () => LEARNERS,
    });
    browser = await launchBrowser();
    mkdirSync(SHOTS, { recursive: true });
    if (process.env.RL_E2E_SHOTS) console.log(`[dashboard glance] screenshots in ${SHOTS}`);
  });
  after(async () => {
    await browser?.close();
    await standIn?.close();
    // A folder of our own goes with the run; one the caller named (RL_E2E_SHOTS) stays.
    if (!process.env.RL_E2E_SHOTS) rmSync(SHOTS, { recursive: true, force: true });
  });

  async function open(o: { width: number; height: number; lang?: 'ru' | 'en'; scheme?: 'light' | 'dark'; touch?: boolean }): Promise<Page> {
    const ctx = await browser.newContext({
      locale: o.lang === 'en' ? 'en-US' : 'ru-RU',
      viewport: { width: o.width, height: o.height },
      colorScheme: o.scheme ?? 'light',
      hasTouch: o.touch ?? false,
      isMobile: o.touch ?? false,
    });
    await ctx.addInitScript((k) => localStorage.setItem('registry-lab:operator-token:v1', k), STANDIN_KEY);
    const page = await ctx.newPage();
    // What the page did, for a failure message: it once waited 60 s for "live" in a CI run and never alone.
    const seen: string[] = [];
    page.on('console', (m) => m.type() !== 'log' && seen.push(`console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => seen.push(`failed: ${r.url().replace(standIn.url, '')} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => r.url().includes('/api/') && seen.push(`${r.status()} ${r.url().replace(standIn.url, '').replace(STANDIN_KEY, '…')}`));
    // A CI run lost the page's module script to ERR_NETWORK_CHANGED (other suites' Docker networks): see gotoRobust.
    await gotoRobust(page, `${standIn.url}${o.lang === 'en' ? '/en' : ''}/instructor/workshop/?id=w1`);
    await page.locator('.rl-dash-conn[data-state="live"]').waitFor({ timeout: 60_000 }).catch(async (e: Error) => {
      const state = await page.locator('.rl-dash-conn').getAttribute('data-state', { timeout: 1000 }).catch(() => 'absent');
      throw new Error(`${e.message.split('\n')[0]}; connection state ${state}; the page:\n  ${seen.slice(-30).join('\n  ')}`);
    });
    await page.waitForFunction((n) => document.querySelectorAll('.rl-dash-grid tbody tr').length === n, N);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return page;
  }

  /** What the first screen holds, measured in the page. */
  const firstScreen = (page: Page) =>
    page.evaluate(() => {
      const r = (s: string) => document.querySelector(s)!.getBoundingClientRect();
      const vh = window.innerHeight;
      const inView = (b: DOMRect) => b.top >= 0 && b.bottom <= vh + 0.5 && b.height > 0;
      // A row counts when all of it shows: inside the window, inside the grid's box, below its sticky head.
      const wrap = r('.rl-dash-gridwrap');
      const headBottom = r('.rl-dash-grid thead').bottom;
      const rows = [...document.querySelectorAll('.rl-dash-grid tbody tr')].filter((tr) => {
        const b = tr.getBoundingClientRect();
        return inView(b) && b.top >= headBottom - 0.5 && b.bottom <= wrap.bottom + 0.5;
      }).length;
      const head = r('.rl-dash-head');
      const line = parseFloat(getComputedStyle(document.querySelector('.rl-dash-wtitle')!).lineHeight);
      const shorts = [...document.querySelectorAll<HTMLElement>('.rl-dash-short')].map((e) => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight));
      // Nothing but the header and the toolbar (and the status line) stands between the top and the grid.
      const above = [...document.querySelector('.rl-dash-main')!.children]
        .filter((e) => e.getBoundingClientRect().bottom <= r('.rl-dash-gridwrap').top && (e as HTMLElement).offsetHeight > 0)
        .map((e) => e.className);
      return {
        rows,
        headLines: head.height / line,
        headInView: inView(head),
        barInView: inView(r('.rl-dash-bar')),
        summaryInView: inView(r('.rl-dash-sumrow')),
        maxShortLines: Math.max(...shorts),
        above,
        pageScrollX: document.documentElement.scrollWidth - window.innerWidth,
        pageScrollY: document.documentElement.scrollHeight - window.innerHeight,
      };
    });

  for (const [width, height, want] of [
    [1366, 768, 15],
    [1920, 1080, 30],
  ] as const) {
    test(`${width}×${height}: the room first, ${want}+ rows on the first screen`, async () => {
      const page = await open({ width, height });
      await page.screenshot({ path: join(SHOTS, `dashboard-${width}x${height}.png`) });
      const f = await firstScreen(page);
      console.log(`[dashboard glance] ${width}×${height}: ${f.rows} whole rows on the first screen`);
      assert.ok(f.rows >= want, `${f.rows} rows visible, want ${want}`);
      assert.ok(f.headInView && f.barInView && f.summaryInView, 'header, toolbar and summary row on the first screen');
      assert.ok(f.headLines < 1.9, `header on one line (${f.headLines.toFixed(2)} lines)`);
      assert.ok(f.maxShortLines < 2.5, `lab headers on two lines at most (${f.maxShortLines.toFixed(2)})`);
      assert.deepEqual(f.above, ['rl-dash-head', 'rl-dash-bar'], 'only the header and the toolbar above the grid');
      assert.ok(f.pageScrollX <= 0, 'no sideways page scroll');
      assert.ok(f.pageScrollY <= 0, `the page does not scroll, the grid does (${f.pageScrollY} px)`);
      await page.context().close();
    });
  }

  test('phone width: toolbar and summary on the first screen, no sideways page scroll', async () => {
    const page = await open({ width: 390, height: 844, touch: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-390x844.png') });
    const f = await firstScreen(page);
    console.log(`[dashboard glance] 390×844: ${f.rows} whole rows on the first screen`);
    assert.ok(f.barInView && f.summaryInView, 'toolbar and summary row on the first screen');
    assert.ok(f.rows >= 5, `${f.rows} rows visible`);
    assert.ok(f.pageScrollX <= 0, 'the grid scrolls sideways inside its box, not the page');
    // Touch screens have no hover: row actions are always shown.
    assert.equal(await page.locator('.rl-dash-grid tbody tr').first().locator('.rl-dash-actbox').evaluate((b) => getComputedStyle(b).opacity), '1');
    await page.context().close();
  });

  test('summary row, headers, menu and row actions by keyboard, projector views', async () => {
    const page = await open({ width: 1366, height: 768 });
    // Headers: short on screen, the full title for screen readers and on hover.
    const tagging = page.locator('.rl-dash-labcol[data-lab="push-private"]');
    assert.equal(await tagging.getAttribute('title'), '3. Первый push в приватный реестр');
    assert.equal(await tagging.locator('.sr-only').innerText(), 'Первый push в приватный реестр');
    assert.equal(await tagging.locator('.rl-dash-short').innerText(), '3. Первый push…');

    // Summary: lab 1 (tagging) is passed by i % 6 > 0, worked on by i % 6 == 0 (stuck when i % 30 == 0).
    const sum = page.locator('button.rl-dash-sum[data-lab="tagging"]');
    assert.equal(await sum.locator('[aria-hidden]').innerText(), '✓\u206025 ◐\u20605 —\u20600 ⚠\u20601');
    assert.match(await sum.locator('.sr-only').textContent() ?? '', /выполнили 25, в работе 5, из них застряли 1, не начали 0/);
    const sum3 = page.locator('button.rl-dash-sum[data-lab="push-private"]');
    assert.equal(await sum3.locator('[aria-hidden]').innerText(), '✓\u206015 ◐\u20605 —\u206010 ⚠\u20601');
    assert.equal(await page.locator('.rl-dash-sumquiz [aria-hidden]').innerText(), '✓\u20600 ◐\u206022 —\u20608', 'nobody answered every question; 22 answered some');

    // A lab's summary filters the grid to those working on it; the chip (or the same button) shows everyone.
    await sum3.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.rl-dash-grid tbody tr:not([hidden])').length === 5);
    assert.equal(await sum3.getAttribute('aria-pressed'), 'true');
    const shown = await page.locator('.rl-dash-grid tbody tr:not([hidden])').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.session));
    assert.deepEqual(shown.sort(), ['s002', 's008', 's014', 's020', 's026']);
    assert.match(await page.locator('.rl-dash-shown').innerText(), /^5 из 30$/);
    // Live: a learner who passes the lab leaves the filtered grid.
    const passed = learner(2);
    (passed.labs as any)['push-private'] = { passed: true, firstPassedAt: iso(0), lastCheckedAt: iso(0), criteria: { a: true } };
    standIn.push(passed);
    await page.waitForFunction(() => document.querySelectorAll('.rl-dash-grid tbody tr:not([hidden])').length === 4);
    assert.equal(await page.locator('tr[data-session="s002"]').isHidden(), true);
    await page.locator('.rl-dash-labfilter').click();
    await page.waitForFunction(() => document.querySelectorAll('.rl-dash-grid tbody tr:not([hidden])').length === 30);

    // A stuck learner: ⚠ in the name and the cell, the sentence for screen readers.
    const stuckRow = page.locator('tr[data-session="s000"]');
    assert.equal(await stuckRow.getAttribute('data-stuck'), 'true');
    assert.match(await stuckRow.locator('.rl-dash-stuck').textContent() ?? '', /Застрял: Теги релиза/);
    assert.equal(await stuckRow.locator('button.rl-cell[data-lab="tagging"]').innerText(), '⚠ 0/5');
    assert.equal(await stuckRow.locator('button.rl-cell[data-lab="tagging"]').getAttribute('aria-label'), 'Теги релиза: semver и коммит: застрял, в работе, критериев выполнено 0/5');

    // Row actions: hidden until the row has the pointer or focus, then reachable by Tab.
    const row = page.locator('tr[data-session="s005"]');
    const watch = row.getByRole('button', { name: /Смотреть терминал/ });
    await page.mouse.move(5, 5);
    const boxOpacity = () => watch.evaluate((b) => getComputedStyle(b.closest('.rl-dash-actbox')!).opacity);
    assert.equal(await boxOpacity(), '0');
    await row.locator('button.rl-cell').last().focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'watch');
    assert.equal(await boxOpacity(), '1');

    // The "more" menu: opens with the keyboard, Escape closes it and returns focus.
    const more = page.locator('.rl-dash-more-btn');
    await more.focus();
    await page.keyboard.press('Enter');
    assert.equal(await more.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Продлить все сессии');
    for (const name of ['Результаты CSV', 'Результаты JSON', 'Забыть ключ', 'Завершить занятие…']) await page.getByRole('button', { name }).waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#rl-dash-menu').isHidden(), true);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('rl-dash-more-btn')), true);

    // Projector: the join code alone, large, with the link and the QR code.
    await page.getByRole('button', { name: 'Код на экран' }).click();
    const proj = page.locator('dialog.rl-dash-proj');
    await proj.waitFor();
    assert.equal(await proj.locator('.rl-dash-proj-code').innerText(), 'ABC-DEF');
    assert.match(await proj.locator('.rl-dash-proj-link').innerText(), /\/join\/$/);
    assert.equal(await proj.locator('.rl-dash-proj-qr svg path').count(), 1);
    assert.ok((await proj.locator('.rl-dash-proj-code').evaluate((e) => parseFloat(getComputedStyle(e).fontSize))) >= 48, 'large type');
    await page.screenshot({ path: join(SHOTS, 'projector-join-1366x768.png') });
    await page.keyboard.press('Escape');
    await proj.waitFor({ state: 'hidden' });
    // ...and the summary, kept live while it is shown.
    await page.getByRole('button', { name: 'Сводку на экран' }).click();
    await proj.locator('.rl-dash-proj-sum').waitFor();
    assert.equal(await proj.locator('tbody tr').count(), LABS.length + 1);
    assert.equal(await proj.locator('tbody tr').first().innerText().then((t) => t.replace(/\s+/g, ' ')), '1. Теги релиза: semver и коммит ✓ 25 ◐ 5 (⚠ 1) — 0');
    const moved = learner(1);
    (moved.labs as any)['tagging'] = { passed: false, lastCheckedAt: iso(1), criteria: { a: false } };
    delete (moved.labs as any)['automated-build'];
    standIn.push(moved);
    await proj.locator('tbody tr').first().filter({ hasText: '✓ 24' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'projector-summary-1366x768.png') });
    await page.keyboard.press('Escape');
    await page.context().close();
  });

  test('English page: English strings and lab titles', async () => {
    const page = await open({ width: 1366, height: 768, lang: 'en' });
    assert.equal(await page.locator('.rl-dash-labcol[data-lab="tagging"]').getAttribute('title'), `1. ${(await import('./dashboard-standin.ts')).labInfo('tagging', 'en').title}`);
    await page.getByRole('button', { name: 'Join code on screen' }).waitFor();
    assert.match((await page.locator('button.rl-dash-sum[data-lab="tagging"] .sr-only').textContent()) ?? '', /25 passed, 5 working, 1 of them stuck, 0 not started/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-en-1366x768.png') });
    await page.context().close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    test(`axe: no WCAG A/AA violations (${scheme}), menu open and projector shown`, async () => {
      const page = await open({ width: 1366, height: 768, scheme });
      await page.locator('tr[data-session="s003"] button.rl-cell').first().hover();
      await page.screenshot({ path: join(SHOTS, `dashboard-${scheme}-hover-1366x768.png`) });
      const all: string[] = [];
      const v1 = await runAxe(page);
      if (v1.length) all.push(formatViolations(`grid (${scheme})`, v1));
      await page.locator('.rl-dash-more-btn').click();
      const v2 = await runAxe(page);
      if (v2.length) all.push(formatViolations(`menu (${scheme})`, v2));
      await page.keyboard.press('Escape');
      await page.locator('.rl-dash-proj-join-open').click();
      const v3 = await runAxe(page);
      if (v3.length) all.push(formatViolations(`projector (${scheme})`, v3));
      if (scheme === 'dark') await page.screenshot({ path: join(SHOTS, 'projector-join-dark.png') });
      assert.equal(all.length, 0, all.join('\n'));
      await page.context().close();
    });
  }
});
