/**
 * A lab end to end in English (issue 20), against the real runner, Docker sandbox and engine:
 * the English lab page creates its session in English (the page's language, not the browser's:
 * the browser here asks for Russian), Start → Check (✗, English messages) → the solution typed
 * in the page's terminal → Check (✓, English messages). The lab panel shows no Cyrillic.
 * A missing precondition (built English lab page, images) fails the test; it never skips.
 *
 *   node --test tests/e2e/lab-english.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { hasCyrillic } from '../../checks/messages.ts';
import { uniqueRunnerId } from '../runner/helpers.ts';
import { gotoRobust, launchBrowser, snapshotSite } from './helpers.ts';

const LAB = 'tagging';

/** Waits until the page's terminal shows `re` (xterm's DOM renderer); says what it shows when it never does. */
async function waitForScreen(page: Page, re: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await page.locator('rl-terminal .xterm-rows').first().innerText().catch(() => '');
    if (re.test(last)) return;
    await page.waitForTimeout(250);
  }
  assert.fail(`the terminal never showed ${re}; screen:\n${last}`);
}
const CRITERIA = ['semver-tags', 'commit-tag', 'same-digest', 'same-image', 'no-latest'];

/** The reference solution (labs/tagging/solve.sh) as a learner types it, one line. */
const SOLUTION =
  'cd ~/shop && SHA=$(git rev-parse --short=7 HEAD) && for tag in 1.4.2 1.4 1 "sha-$SHA"; do docker tag shop/api:dev "localhost:5000/shop/api:$tag" && docker push -q "localhost:5000/shop/api:$tag"; done; echo "DONE-$((6*7))"';

describe('a lab in English in the browser, real runner and engine', { timeout: 900_000 }, () => {
  let runner: Runner;
  let browser: Browser;
  let page: Page;
  let site: ReturnType<typeof snapshotSite>;

  before(async () => {
    site = snapshotSite();
    assert.ok(existsSync(join(site.dir, 'en', 'labs', LAB, 'index.html')), `the site has no page /en/labs/${LAB}/ (build it: npm run build:site)`);
    runner = await createRunner({ port: 0, host: '127.0.0.1', runnerId: uniqueRunnerId('e2e-en'), warmPoolSize: 0, logLevel: 'silent', siteDir: site.dir });
    browser = await launchBrowser();
    // The browser prefers Russian: the session must follow the page (/en/), not Accept-Language.
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
  });
  after(async () => {
    const s = page ? await session().catch(() => null) : null;
    if (s && runner) await fetch(`${runner.url}/api/sessions/${s.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } });
    await browser?.close();
    await runner?.close();
    site?.dispose();
  });

  async function session(): Promise<{ id: string; token: string }> {
    const stored = await page.evaluate(() => localStorage.getItem('registry-lab:session:v1'));
    assert.ok(stored, 'the page stored no session');
    return JSON.parse(stored) as { id: string; token: string };
  }

  async function messages(panel: ReturnType<Page['locator']>): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const id of CRITERIA) out[id] = ((await panel.locator(`.rl-criterion[data-id="${id}"] .rl-criterion-message`).textContent()) ?? '').trim();
    return out;
  }

  test(`${LAB}: Start, Check ✗ in English, the solution typed in the terminal, Check ✓ in English`, async () => {
    await gotoRobust(page, `${runner.url}/en/labs/${LAB}/`);
    const panel = page.locator('rl-lab');
    await panel.getByRole('button', { name: 'Start' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 300_000 });

    const s = await session();
    const view = await (await fetch(`${runner.url}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } })).json();
    assert.equal(view.lang, 'en', 'the English page made an English session although the browser asks for Russian');

    await panel.getByRole('button', { name: 'Check', exact: true }).click();
    await panel.locator('.rl-lab-status[data-kind="bad"]').waitFor({ timeout: 120_000 });
    const before = await messages(panel);
    assert.match(before['semver-tags']!, /localhost:5000\/shop\/api has no tags yet/);
    for (const [id, m] of Object.entries(before)) {
      assert.ok(m.length > 25, `${id}: ${m}`);
      assert.ok(!hasCyrillic(m), `${id} is not English: ${m}`);
    }

    // The learner's part, typed into the page's terminal.
    const term = page.locator('rl-terminal').first();
    await term.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('rl-terminal')?.getAttribute('data-state') === 'ready', null, { timeout: 120_000 });
    await waitForScreen(page, /learner@lab:~\$/, 60_000);
    await term.locator('.xterm').click();
    await page.keyboard.type(SOLUTION);
    await page.keyboard.press('Enter');
    await waitForScreen(page, /DONE-42/, 300_000);

    await panel.getByRole('button', { name: 'Check', exact: true }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 120_000 });
    const done = await messages(panel);
    for (const id of CRITERIA) assert.equal(await panel.locator(`.rl-criterion[data-id="${id}"]`).getAttribute('data-state'), 'pass', `${id}: ${done[id]}`);
    assert.match(done['semver-tags']!, /^The tags 1\.4\.2, 1\.4, and 1 are in localhost:5000\/shop\/api\.$/);
    assert.match(done['no-latest']!, /There is no latest tag/);
    for (const [id, m] of Object.entries(done)) assert.ok(!hasCyrillic(m), `${id} is not English: ${m}`);

    // The whole lab panel (titles, status, hints, messages) is English.
    const panelText = await panel.innerText();
    const cyrillic = panelText.split('\n').filter((l) => hasCyrillic(l));
    assert.deepEqual(cyrillic, [], 'Cyrillic in the English lab panel');
  });
});
