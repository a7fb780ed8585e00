/**
 * The course site as a static deployment (no runner behind /api): reading, quizzes, progress,
 * search, accessibility (axe on every page, dark mode, phone width), keyboard access, and the
 * terminal's "no runner" message. Needs site/dist (built when missing) and /usr/bin/chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  builtPages,
  formatViolations,
  launchBrowser,
  runAxe,
  snapshotSite,
  startStaticServer,
  type StaticServer,
  gotoRobust,
} from './helpers.ts';

describe('site (static deployment)', { timeout: 600_000 }, () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let site: ReturnType<typeof snapshotSite>;

  before(async () => {
    site = snapshotSite();
    server = await startStaticServer(site.dir);
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'ru-RU' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    site?.dispose();
  });

  test('reading a section: Russian chrome, sidebar order, content, English fallback', async () => {
    await gotoRobust(page, `${server.url}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    const links = await page.$$eval('nav.sidebar a', (as) => as.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
    const order = ['/docker-hub/', '/automated-builds/', '/private-registries/', '/registry-internals/', '/image-size/', '/provenance/', '/summary/'];
    const present = order.filter((p) => links.includes(p));
    assert.ok(present.length >= 1, `sidebar has chapter sections: ${links.join(' ')}`);
    assert.deepEqual(links.filter((p) => order.includes(p)), present, 'chapter sections in the fixed order');
    const firstLab = links.findIndex((p) => p.startsWith('/labs/'));
    if (firstLab >= 0) assert.ok(firstLab > links.indexOf(present.at(-1)!), 'labs come after the chapter');

    await page.click(`nav.sidebar a[href="/docker-hub/"]`);
    await page.waitForURL(/\/docker-hub\/$/);
    assert.match(await page.textContent('h1') ?? '', /Docker Hub/);
    assert.ok((await page.locator('.sl-markdown-content p').count()) > 3, 'the section has text');

    await gotoRobust(page, `${server.url}/en/docker-hub/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match((await page.textContent('rl-quiz h3')) ?? '', /questions/i, 'component strings are English on /en/');
  });

  test('quiz: right and wrong answers are graded at once with the explanation', async () => {
    await gotoRobust(page, `${server.url}/docker-hub/`);
    await page.evaluate(() => localStorage.clear());
    await gotoRobust(page, page.url());

    const single = page.locator('li.rl-q[data-type="single"]').first();
    const correct: number[] = JSON.parse((await single.getAttribute('data-correct')) ?? '[]');
    const total = await single.locator('.rl-option input').count();
    const wrongIdx = [...Array(total).keys()].find((i) => !correct.includes(i))!;
    // wrong first
    await single.locator('.rl-option input').nth(wrongIdx).check();
    await single.getByRole('button').click();
    await single.locator('.rl-feedback.is-wrong').waitFor();
    assert.ok(await single.locator('.rl-explanation').isVisible(), 'explanation after a wrong answer');
    assert.match((await single.locator('.rl-feedback').textContent()) ?? '', /Неверно/);
    // then right
    await single.locator('.rl-option input').nth(correct[0]!).check();
    await single.getByRole('button').click();
    await single.locator('.rl-feedback.is-correct').waitFor();
    assert.match((await single.locator('.rl-feedback').textContent()) ?? '', /Верно/);
    assert.ok(await single.locator('.rl-explanation').isVisible(), 'explanation after a right answer');

    const multiple = page.locator('li.rl-q[data-type="multiple"]').first();
    assert.ok(await multiple.count(), 'the docker-hub quiz has a "multiple" question (this test grades one of each type)');
    {
      const ok: number[] = JSON.parse((await multiple.getAttribute('data-correct')) ?? '[]');
      await multiple.locator('.rl-option input').nth(ok[0]!).check();
      if (ok.length === 1) {
        const n = await multiple.locator('.rl-option input').count();
        await multiple.locator('.rl-option input').nth([...Array(n).keys()].find((i) => !ok.includes(i))!).check();
      }
      await multiple.getByRole('button').click();
      await multiple.locator('.rl-feedback.is-wrong').waitFor();
      for (const i of ok) await multiple.locator('.rl-option input').nth(i).check();
      const n = await multiple.locator('.rl-option input').count();
      for (let i = 0; i < n; i++) if (!ok.includes(i)) await multiple.locator('.rl-option input').nth(i).uncheck();
      await multiple.getByRole('button').click();
      await multiple.locator('.rl-feedback.is-correct').waitFor();
    }

    const text = page.locator('li.rl-q[data-type="text"]').first();
    assert.ok(await text.count(), 'the docker-hub quiz has a "text" question (this test grades one of each type)');
    {
      const answers: string[] = JSON.parse((await text.getAttribute('data-answers')) ?? '[]');
      await text.locator('input').fill('совершенно не то');
      await text.getByRole('button').click();
      await text.locator('.rl-feedback.is-wrong').waitFor();
      await text.locator('input').fill(`  ${answers[0]!.toUpperCase()}. `);
      await text.getByRole('button').click();
      await text.locator('.rl-feedback.is-correct').waitFor();
    }

    const command = page.locator('li.rl-q[data-type="command"]').first();
    assert.ok(await command.count(), 'the docker-hub quiz has a "command" question (this test grades one of each type)');
    {
      const answers: string[] = JSON.parse((await command.getAttribute('data-answers')) ?? '[]');
      await command.locator('input').fill('docker version');
      await command.getByRole('button').click();
      await command.locator('.rl-feedback.is-wrong').waitFor();
      // an equivalent form: prompt, sudo and extra spaces
      await command.locator('input').fill(`$ sudo ${answers[0]!.replace(/ /g, '   ')}`);
      await command.getByRole('button').click();
      await command.locator('.rl-feedback.is-correct').waitFor();
    }

    // an empty answer is not graded
    const unanswered = page.locator('li.rl-q[data-type="text"]').nth(1);
    assert.ok(await unanswered.count(), 'a second "text" question to submit empty');
    assert.equal(((await unanswered.locator('.rl-feedback').textContent()) ?? '').trim(), '', 'not graded yet');
    await unanswered.getByRole('button').click();
    await unanswered.locator('.rl-feedback.is-empty').waitFor();
  });

  test('progress survives a reload and the reset control clears it', async () => {
    await gotoRobust(page, `${server.url}/docker-hub/`);
    const single = page.locator('li.rl-q[data-type="single"]').first();
    const qid = await single.getAttribute('data-qid');
    // answered in the previous test
    await gotoRobust(page, page.url());
    await single.locator('.rl-feedback.is-correct').waitFor();
    assert.ok(await single.locator('.rl-explanation').isVisible());
    assert.equal(await single.locator('.rl-option input:checked').count(), 1, 'the chosen option is restored');
    assert.match((await page.textContent('.rl-progress-summary')) ?? '', /отвечено верно: [1-9]/);

    // progress is per browser, visible on other pages too
    await gotoRobust(page, `${server.url}/`);
    assert.match((await page.textContent('.rl-progress-summary')) ?? '', /отвечено верно: [1-9]/);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Сбросить прогресс' }).click();
    await page.locator('.rl-progress-summary', { hasText: 'сброшен' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('registry-lab:progress:v1')), null);

    await gotoRobust(page, `${server.url}/docker-hub/`);
    const again = page.locator(`li.rl-q[data-qid="${qid}"]`);
    assert.equal(await again.locator('.rl-feedback').textContent(), '');
    assert.ok(await again.locator('.rl-explanation').isHidden());
    assert.equal(await again.locator('.rl-option input:checked').count(), 0);
  });

  test('static deployment: the terminal says plainly that no runner answers', async () => {
    await gotoRobust(page, `${server.url}/docker-hub/`);
    const term = page.locator('rl-terminal').first();
    await term.scrollIntoViewIfNeeded();
    await term.locator('.rl-term-status', { hasText: 'недоступен' }).waitFor({ timeout: 20_000 });
    assert.equal(await term.getAttribute('data-state'), 'unavailable');
    // the rest of the page keeps working
    const q = page.locator('li.rl-q[data-type="single"]').first();
    const correct: number[] = JSON.parse((await q.getAttribute('data-correct')) ?? '[]');
    await q.locator('.rl-option input').nth(correct[0]!).check();
    await q.getByRole('button').click();
    await q.locator('.rl-feedback.is-correct').waitFor();

    const lab = builtPages(site.dir).find((p) => p.startsWith('/labs/'));
    if (lab) {
      await gotoRobust(page, server.url + lab);
      await page.getByRole('button', { name: 'Проверить', exact: true }).click();
      await page.locator('.rl-lab-status', { hasText: 'недоступен' }).waitFor();
    }
  });

  test('text-only pages do not load the terminal code', async () => {
    const requests: string[] = [];
    const listener = (r: { url(): string }) => void requests.push(r.url());
    page.on('request', listener);
    await gotoRobust(page, `${server.url}/summary/`);
    await page.mouse.wheel(0, 20000);
    await page.waitForTimeout(500);
    page.off('request', listener);
    assert.ok(!requests.some((u) => u.includes('terminal-client')), 'xterm is not loaded on a page without a terminal');
    assert.equal(await page.locator('.rl-run:visible').count(), 0, 'no "run in terminal" buttons without a terminal');
  });

  test('page weights: JavaScript on a text-only page vs a terminal page', async (t) => {
    const measure = async (path: string, scroll: boolean) => {
      const p = await context.newPage();
      const sizes = new Map<string, number>();
      const unread: string[] = [];
      p.on('response', async (r) => {
        const type = r.request().resourceType();
        if (type !== 'script') return;
        try {
          sizes.set(new URL(r.url()).pathname, (await r.body()).length);
        } catch (e) {
          unread.push(`${r.url()}: ${(e as Error).message.split('\n')[0]}`);
        }
      });
      await gotoRobust(p, server.url + path);
      await p.waitForTimeout(300);
      if (scroll) {
        await p.locator('rl-terminal').first().scrollIntoViewIfNeeded();
        await p.locator('rl-terminal[data-state="unavailable"]').first().waitFor({ timeout: 20_000 });
      }
      await p.waitForTimeout(300);
      await p.close();
      // A script whose size could not be read would make the weights below too small.
      assert.deepEqual(unread, [], `${path}: scripts not measured`);
      let total = 0;
      let search = 0;
      for (const [k, v] of sizes) {
        total += v;
        // Starlight's search UI (Pagefind) loads on idle on every page; it is not ours to trim
        if (k.includes('/pagefind/') || k.includes('ui-core')) search += v;
      }
      return { total, own: total - search, xterm: [...sizes.keys()].some((k) => k.includes('terminal-client')) };
    };
    const text = await measure('/summary/', false);
    const termTop = await measure('/docker-hub/', false);
    const termOpen = await measure('/docker-hub/', true);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const line = (what: string, m: { total: number; own: number }) =>
      t.diagnostic(`${what}: ${kb(m.total)} JS (uncompressed); without Starlight's search UI ${kb(m.own)}`);
    line('text-only page /summary/ (quiz)', text);
    line('terminal page /docker-hub/ before the terminal is reached', termTop);
    line('terminal page /docker-hub/ after the terminal opened', termOpen);
    assert.ok(!text.xterm && !termTop.xterm, 'xterm.js is not loaded before the terminal is needed');
    assert.ok(termOpen.xterm, 'xterm.js loads when the terminal is reached');
    assert.ok(text.own < 40 * 1024, `a text-only page stays light: ${kb(text.own)}`);
  });

  test('search (Pagefind) finds Russian words, inflected forms too', async () => {
    await gotoRobust(page, `${server.url}/`);
    await page.click('button[data-open-modal]');
    const input = page.locator('site-search input, starlight-search input, dialog input').first();
    await input.fill('реестры');
    const result = page.locator('.pagefind-ui__result-link').first();
    await result.waitFor({ timeout: 15_000 });
    assert.ok((await page.locator('.pagefind-ui__result-link').count()) >= 1);
    await input.fill('образов');
    await page.locator('.pagefind-ui__result-link').first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
  });

  test('keyboard only: quiz controls, terminal and reset are reachable with Tab', async () => {
    await gotoRobust(page, `${server.url}/docker-hub/`);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      await page.keyboard.press('Tab');
      const tag = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return '';
        if (el.classList.contains('rl-progress-reset')) return 'reset';
        if (el.closest('rl-terminal')) return 'terminal';
        if (el.closest('.rl-q') && el.tagName === 'BUTTON') return 'quiz-button';
        if (el.closest('.rl-q') && el.tagName === 'INPUT') return 'quiz-input';
        return '';
      });
      if (tag) seen.add(tag);
      if (['quiz-input', 'quiz-button', 'reset'].every((x) => seen.has(x))) break;
    }
    // (the terminal's own keyboard use needs a runner: tests/terminal/browser.test.ts)
    for (const want of ['quiz-input', 'quiz-button', 'reset']) assert.ok(seen.has(want), `Tab reaches ${want} (seen: ${[...seen].join(', ')})`);

    // answering with the keyboard alone: focus a text input, type, press Enter
    const text = page.locator('li.rl-q[data-type="text"], li.rl-q[data-type="command"]').first();
    if (await text.count()) {
      await text.locator('input').focus();
      await page.keyboard.type('что-то');
      await page.keyboard.press('Enter');
      await text.locator('.rl-feedback.is-wrong').waitFor();
    }
  });

  test('axe: every page passes (light, desktop)', async () => {
    const pages = builtPages(site.dir);
    assert.ok(pages.length >= 3, `pages: ${pages.join(', ')}`);
    const problems: string[] = [];
    const ctx = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    for (const path of pages) {
      await gotoRobust(p, server.url + path);
      const v = await runAxe(p);
      if (v.length) problems.push(formatViolations(path, v));
    }
    await ctx.close();
    assert.equal(problems.length, 0, problems.join('\n'));
  });

  test('axe: dark mode and phone width, with quiz feedback and hints shown (both languages)', async () => {
    const ctx = await browser.newContext({
      colorScheme: 'dark',
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const p = await ctx.newPage();
    const problems: string[] = [];
    // English pages too (longer words, other buttons). The lab pages share one template, so one
    // English lab page gets axe and the others only the phone-width check.
    const all = builtPages(site.dir);
    const enLabs = all.filter((x) => x.startsWith('/en/labs/'));
    const widthOnly = new Set(enLabs.slice(1));
    assert.ok(all.some((x) => x.startsWith('/en/') && !x.startsWith('/en/labs/')) && enLabs.length > 0, `English pages: ${all.join(', ')}`);
    for (const path of all) {
      await gotoRobust(p, server.url + path);
      if (widthOnly.has(path)) {
        const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (over > 2) problems.push(`${path}: page is ${over}px wider than a phone screen`);
        continue;
      }
      // show dynamic states too: answered questions, the terminal's message
      const qs = p.locator('li.rl-q[data-type="single"]');
      if (await qs.count()) {
        await qs.first().locator('.rl-option input').first().check();
        await qs.first().getByRole('button').click();
      }
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 2) problems.push(`${path}: page is ${overflow}px wider than a phone screen`);
      const v = await runAxe(p);
      if (v.length) problems.push(formatViolations(`${path} (dark, 375px)`, v));
    }
    await ctx.close();
    assert.equal(problems.length, 0, problems.join('\n'));
  });
});
