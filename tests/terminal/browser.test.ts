/**
 * Terminal and lab pages against the real runner (runner/src/app.ts, in-process, port 0).
 *  1. With the unit tests' fake sandbox provider and a fake lab engine (fast, no Docker):
 *     session create/resume, typing, resize, "run in terminal", keyboard exit, expiry + extend,
 *     lab start/check with ✓/✗, hints, solution, progress, axe with the dynamic states.
 *  2. With Docker: `docker version` in the learner's sandbox answers with a "Server:" section.
 *     Skipped when the registry-lab images are missing (npm run images).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import type { LabEngine } from '../../runner/src/labs/service.ts';
import { labDefinitionSchema, type LabDefinition } from '../../checks/lab-schema.ts';
import { createFakeProvider, type FakeProvider } from '../unit/fake-provider.ts';
import { uniqueRunnerId } from '../runner/helpers.ts';
import { REPO, builtPages, formatViolations, gotoRobust, launchBrowser, runAxe, snapshotSite } from '../e2e/helpers.ts';

/** Text currently on the xterm screen (DOM renderer). */
async function screenText(page: Page, scope = 'rl-terminal'): Promise<string> {
  return page.locator(`${scope} .xterm-rows`).first().innerText();
}

async function waitForScreen(page: Page, re: RegExp, timeoutMs = 15_000, scope = 'rl-terminal') {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await screenText(page, scope).catch((e) => `(screen unreadable: ${(e as Error).message.split('\n')[0]})`);
    if (re.test(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`terminal never showed ${re}; screen:\n${last}`);
}

/**
 * Waits until the first terminal on the page is connected; on failure says which state it is stuck in.
 * A terminal whose code was cut off by ERR_NETWORK_CHANGED (see gotoRobust) is reopened (button) or
 * its page reloaded, at most twice.
 */
async function terminalReady(page: Page, timeoutMs = 60_000) {
  const term = page.locator('rl-terminal').first();
  const until = Date.now() + timeoutMs;
  let recoveries = 0;
  for (;;) {
    const state = await term.getAttribute('data-state');
    if (state === 'ready') return;
    const stuck = state === null || state === 'error';
    if (stuck && recoveries < 2 && Date.now() > until - timeoutMs + 8_000 * (recoveries + 1)) {
      recoveries++;
      const open = term.locator('.rl-term-open');
      if (state === 'error' && (await open.isVisible())) await open.click();
      else {
        await gotoRobust(page, page.url());
        await page.locator('rl-terminal').first().scrollIntoViewIfNeeded();
      }
    }
    if (Date.now() > until) {
      const status = await term.locator('.rl-term-status').textContent();
      const history = await page.evaluate(() => (window as any).__rlStates ?? []);
      assert.fail(`terminal not ready after ${timeoutMs} ms: state ${state} (“${status}”), states seen: ${history.join(' → ')}`);
    }
    await page.waitForTimeout(250);
  }
}

/** Records every terminal state change (for failure messages). */
const RECORD_STATES = () => {
  (window as any).__rlStates = [];
  document.addEventListener('rl-terminal-state', (e) => (window as any).__rlStates.push((e as CustomEvent).detail));
};

/** The labs the site was built with (labs/<id>/lab.json that have a page in `dist`). */
function siteLabs(dist: string): LabDefinition[] {
  const dir = join(REPO, 'labs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'lab.json')))
    .map((n) => labDefinitionSchema.parse(JSON.parse(readFileSync(join(dir, n, 'lab.json'), 'utf8'))))
    .filter((l) => existsSync(join(dist, 'labs', l.id, 'index.html')));
}

/** A lab engine that fails every criterion on the first check after start and passes on the next. */
function fakeEngine(labs: LabDefinition[]): LabEngine {
  return {
    async loadLabs() {
      return labs.map((definition) => ({ definition }));
    },
    async startLab(_lab, ctx) {
      ctx.state.set('checks', 0);
      ctx.state.set('started', true);
    },
    async checkLab(lab, ctx) {
      const n = (ctx.state.get<number>('checks') ?? 0) + 1;
      ctx.state.set('checks', n);
      const ok = ctx.state.get('started') === true && n >= 2;
      return {
        passed: ok,
        criteria: lab.definition.criteria.map((c) => ({
          id: c.id,
          title: c.title,
          required: c.required,
          passed: ok,
          message: ok ? `Готово: ${c.id}.` : `Не найдено: ${c.id}. Выполните задание и проверьте снова.`,
        })),
        durationMs: 1,
      };
    },
    createLabState() {
      const m = new Map<string, unknown>();
      return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k, v) => void m.set(k, v), clear: () => m.clear() };
    },
  };
}

describe('terminal and labs with the runner (fake sandboxes)', { timeout: 240_000 }, () => {
  let runner: Runner;
  let provider: FakeProvider;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let labs: LabDefinition[] = [];
  let site: ReturnType<typeof snapshotSite>;

  before(async () => {
    site = snapshotSite();
    labs = siteLabs(site.dir);
    provider = createFakeProvider();
    runner = await createRunner(
      {
        port: 0,
        runnerId: uniqueRunnerId('e2e-fake'),
        warmPoolSize: 0,
        logLevel: 'silent',
        siteDir: site.dir,
        // every new session is "about to expire" at once, so the expiry UI can be tested
        sessionTtlMs: 10 * 60_000,
        sessionWarnBeforeMs: 10 * 60_000 - 2_000,
        sessionMaxTtlMs: 60 * 60_000,
      },
      { provider, labEngine: async () => fakeEngine(labs) },
    );
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    await context.addInitScript(RECORD_STATES);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await runner?.close();
    site?.dispose();
  });

  test('opening the terminal creates a session; typing reaches the shell; resize is sent', async () => {
    await gotoRobust(page, `${runner.url}/docker-hub/`);
    const term = page.locator('rl-terminal').first();
    await term.scrollIntoViewIfNeeded();
    await terminalReady(page);
    await waitForScreen(page, /learner@lab:~\$/);
    await term.locator('.xterm').click();
    await page.keyboard.type('echo hello-e2e');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /hello-e2e\s*\n.*hello-e2e|hello-e2e[\s\S]*hello-e2e/);
    assert.equal(provider.created.length, 1);
    assert.ok(provider.resizes.some((r) => r.cols > 20 && r.rows > 5), `resizes: ${JSON.stringify(provider.resizes)}`);
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:session:v1') ?? 'null'));
    assert.ok(stored?.id && stored?.token, 'session kept in localStorage');

    // a smaller window → one resize with the new size
    const before = provider.resizes.length;
    await page.setViewportSize({ width: 900, height: 900 });
    const until = Date.now() + 5000;
    while (provider.resizes.length === before && Date.now() < until) await page.waitForTimeout(100);
    assert.ok(provider.resizes.length > before, 'fit → resize after the window changed');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the session is resumed across reloads and pages', async () => {
    await gotoRobust(page, page.url());
    await page.locator('rl-terminal').first().scrollIntoViewIfNeeded();
    await terminalReady(page);
    assert.equal(provider.created.length, 1, 'no second sandbox');
  });

  test('"run in terminal" types a code block into the terminal', async () => {
    const btn = page.locator('button[data-rl-run]').first();
    await btn.waitFor({ state: 'visible' });
    const code = (await btn.getAttribute('data-rl-run'))!.split('\n')[0]!;
    await btn.click();
    await waitForScreen(page, new RegExp(code.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  test('expiring soon: the extend button extends the session', async () => {
    const box = page.locator('rl-terminal .rl-term-expiring').first();
    await box.waitFor({ state: 'visible', timeout: 20_000 });
    await box.getByRole('button', { name: 'Продлить' }).click();
    await page.locator('rl-terminal .rl-term-note', { hasText: 'продлена' }).first().waitFor();
  });

  test('keyboard: the terminal is reachable with Tab and Esc, Tab leaves it', async () => {
    await gotoRobust(page, `${runner.url}/docker-hub/`);
    await page.locator('rl-terminal').first().scrollIntoViewIfNeeded();
    await terminalReady(page);
    await page.locator('.rl-term-hint').first().waitFor();
    // focus the focusable element just before the terminal, then Tab into it
    let inTerminal = false;
    await page.evaluate(() => {
      const all = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')].filter(
        (e) => e.tabIndex >= 0 && !(e as HTMLButtonElement).disabled && e.getClientRects().length > 0,
      );
      const i = all.findIndex((e) => e.closest('.rl-term-screen'));
      all[i - 1]?.focus();
    });
    for (let i = 0; i < 5 && !inTerminal; i++) {
      await page.keyboard.press('Tab');
      inTerminal = await page.evaluate(() => !!document.activeElement?.closest('.rl-term-screen'));
    }
    assert.ok(inTerminal, 'Tab reaches the terminal');
    await page.keyboard.type('echo kb-only');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /kb-only[\s\S]*kb-only/);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const left = await page.evaluate(() => !document.activeElement?.closest('.rl-term-screen'));
    assert.ok(left, 'Esc then Tab moves focus out of the terminal');
  });

  test('flow control: a flood (`yes`) stays interruptible with Ctrl+C', async () => {
    await page.locator('rl-terminal .xterm').first().click();
    await page.keyboard.type('yes');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /^y$/m);
    await page.waitForTimeout(1500);
    await page.keyboard.press('Control+C');
    await waitForScreen(page, /\^C/, 60_000);
    await page.keyboard.type('echo after-flood');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /after-flood[\s\S]*after-flood/, 60_000);
  });

  test('when the shell exits, the terminal says so and opens a new shell on request', async () => {
    const term = page.locator('rl-terminal').first();
    await term.locator('.xterm').click();
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    await term.locator('.rl-term-status', { hasText: 'код 3' }).waitFor();
    assert.equal(await term.getAttribute('data-state'), 'exited');
    await term.getByRole('button', { name: 'Новая оболочка' }).click();
    await terminalReady(page);
    await term.locator('.xterm').click();
    await page.keyboard.type('echo second-shell');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /second-shell[\s\S]*second-shell/);
  });

  test('a dropped connection is re-established with backoff', async () => {
    await page.evaluate(() => ((window as any).__rlStates = []));
    await page.locator('rl-terminal').first().evaluate((el) => (el as any).client.ws.close());
    await page.locator('rl-terminal[data-state="reconnecting"]').first().waitFor();
    await terminalReady(page);
    const states: string[] = await page.evaluate(() => (window as any).__rlStates);
    assert.deepEqual(states.slice(0, 1), ['reconnecting'], states.join(' → '));
    await page.locator('rl-terminal .xterm').first().click();
    await page.keyboard.type('echo back-again');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /back-again[\s\S]*back-again/);
  });

  test('a runner restart (1012, then refused connections) is ridden out: same session, no reload, no new sandbox', async () => {
    const before = await page.evaluate(() => {
      (window as any).__rlStates = [];
      (window as any).__rlNoReload = true;
      return JSON.parse(localStorage.getItem('registry-lab:session:v1') ?? 'null');
    });
    const created = provider.created.length;
    // The runner goes away: every API call is refused until it is back.
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    try {
      runner.terminals.closeAll();
      await page.locator('rl-terminal[data-state="reconnecting"]').first().waitFor();
      await page.locator('rl-terminal .rl-term-status', { hasText: 'перезапускается' }).first().waitFor();
      // Let at least one attempt fail against the refused runner.
      const until = Date.now() + 60_000;
      let seen: string[] = [];
      while (Date.now() < until) {
        seen = await page.evaluate(() => (window as any).__rlStates);
        if (seen.filter((x) => x === 'reconnecting').length >= 2) break;
        await page.waitForTimeout(250);
      }
      assert.ok(seen.filter((x) => x === 'reconnecting').length >= 2, `states: ${seen.join(' → ')}`);
    } finally {
      await page.unroute('**/api/**');
    }
    await terminalReady(page, 60_000);
    const states: string[] = await page.evaluate(() => (window as any).__rlStates);
    assert.ok(!states.includes('unavailable') && !states.includes('error'), states.join(' → '));
    assert.equal(await page.evaluate(() => (window as any).__rlNoReload), true, 'the page was not reloaded');
    const now = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:session:v1') ?? 'null'));
    assert.equal(now?.id, before?.id, 'same session');
    assert.equal(provider.created.length, created, 'no new sandbox');
    await page.locator('rl-terminal .xterm').first().click();
    await page.keyboard.type('echo after-restart');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /after-restart[\s\S]*after-restart/);
  });

  test('axe passes with the terminal open (light and dark)', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const v = await runAxe(page);
      assert.equal(v.length, 0, formatViolations(`/docker-hub/ terminal open (${scheme})`, v));
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('lab page: start, check with ✗ and hints, check again with ✓, progress recorded', async (t) => {
    const lab = labs[0];
    assert.ok(lab, 'no lab in labs/: this test needs one (a missing precondition is a failure, not a skip)');
    await gotoRobust(page, `${runner.url}/labs/${lab.id}/`);
    assert.equal((await page.textContent('h1'))?.trim(), lab.title);
    const sectionBuilt = builtPages(site.dir).includes(`/${lab.section}/`);
    if (sectionBuilt) assert.equal(await page.locator(`.rl-lab-section a[href="/${lab.section}/"]`).count(), 1, 'link to the chapter section');
    const panel = page.locator('rl-lab');
    await panel.getByRole('button', { name: 'Начать' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 30_000 });
    await terminalReady(page);

    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="bad"]').waitFor();
    for (const c of lab.criteria) {
      const li = panel.locator(`.rl-criterion[data-id="${c.id}"]`);
      assert.equal(await li.getAttribute('data-state'), 'fail');
      assert.equal((await li.locator('.rl-criterion-mark').textContent())?.trim(), '✗');
      assert.match((await li.locator('.rl-criterion-message').textContent()) ?? '', /Не найдено/);
      const hinted = lab.hints.some((h) => h.criterion === c.id);
      assert.equal(await li.locator('.rl-criterion-hint').isVisible(), hinted, `hint for ${c.id}`);
    }
    const v = await runAxe(page);
    assert.equal(v.length, 0, formatViolations(`/labs/${lab.id}/ after a failing check`, v));

    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor();
    for (const c of lab.criteria) {
      assert.equal(await panel.locator(`.rl-criterion[data-id="${c.id}"]`).getAttribute('data-state'), 'pass');
    }
    const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:progress:v1') ?? '{}'));
    assert.equal(progress.labs?.[lab.id]?.passed, true);
    await page.locator('.rl-lab-done').waitFor({ state: 'visible' });
    await gotoRobust(page, page.url());
    await page.locator('.rl-lab-done').waitFor({ state: 'visible' });
  });

  test('lab page: general hints one by one, solution behind a confirmation', async (t) => {
    const lab = labs.find((l) => l.hints.some((h) => !h.criterion)) ?? labs[0];
    assert.ok(lab, 'no lab in labs/: this test needs one (a missing precondition is a failure, not a skip)');
    await gotoRobust(page, `${runner.url}/labs/${lab.id}/`);
    const general = lab.hints.filter((h) => !h.criterion);
    if (general.length) {
      assert.equal(await page.locator('.rl-hint:visible').count(), 0);
      await page.locator('.rl-hint-next').click();
      assert.equal(await page.locator('.rl-hint:visible').count(), 1);
    }
    if (existsSync(join(REPO, 'labs', lab.id, 'solve.sh'))) {
      assert.ok(await page.locator('.rl-solution-code').isHidden());
      await page.getByRole('button', { name: 'Показать решение' }).click();
      await page.getByRole('button', { name: 'Нет, попробую сам' }).click();
      assert.ok(await page.locator('.rl-solution-code').isHidden());
      await page.getByRole('button', { name: 'Показать решение' }).click();
      await page.getByRole('button', { name: 'Да, показать' }).click();
      await page.locator('.rl-solution-code').waitFor({ state: 'visible' });
      const v = await runAxe(page);
      assert.equal(v.length, 0, formatViolations(`/labs/${lab.id}/ solution shown`, v));
    }
  });

  test('background re-check after typing turns the criteria green', async (t) => {
    const lab = labs[1] ?? labs[0];
    assert.ok(lab, 'no lab in labs/: this test needs one (a missing precondition is a failure, not a skip)');
    await gotoRobust(page, `${runner.url}/labs/${lab.id}/`);
    const panel = page.locator('rl-lab');
    await panel.evaluate((el) => void ((el as HTMLElement).dataset.autocheckMs = '300'));
    assert.ok(await panel.locator('.rl-lab-auto-input').isChecked(), 'background re-check is on by default');
    page.once('dialog', (d) => void d.accept());
    await panel.locator('.rl-lab-start').click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 30_000 });
    await terminalReady(page);
    await page.locator('rl-terminal .xterm').click();
    await page.keyboard.type('echo one');
    await page.keyboard.press('Enter');
    // the first (fake) check fails: marks appear without pressing "Check"
    await panel.locator('.rl-criterion[data-state="fail"]').first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1200); // input notifications are throttled to one a second
    await page.keyboard.type('echo two');
    await page.keyboard.press('Enter');
    await panel.locator('.rl-lab-status[data-kind="ok"]', { hasText: 'пройдена' }).waitFor({ timeout: 10_000 });
    assert.equal(await panel.locator('.rl-criterion[data-state="pass"]').count(), lab.criteria.length);
  });

  test('a stopped session is replaced by a new one', async () => {
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:session:v1') ?? 'null'));
    const r = await fetch(`${runner.url}/api/sessions/${stored.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${stored.token}` } });
    assert.equal(r.status, 204);
    await gotoRobust(page, `${runner.url}/docker-hub/`);
    await page.locator('rl-terminal').first().scrollIntoViewIfNeeded();
    await terminalReady(page);
    const now = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:session:v1') ?? 'null'));
    assert.notEqual(now.id, stored.id);
  });
});

function assertImagesPresent(): void {
  const r = spawnSync('docker', ['image', 'inspect', 'registry-lab/workstation:2', 'registry-lab/registry:2', 'registry-lab/mirror:latest'], {
    stdio: 'ignore',
  });
  assert.equal(r.status, 0, 'registry-lab images missing: run npm run images (npm test builds them first)');
}

describe('terminal with real Docker sandboxes', { timeout: 420_000 }, () => {
  let runner: Runner;
  let browser: Browser;
  let site: ReturnType<typeof snapshotSite>;

  before(async () => {
    assertImagesPresent();
    site = snapshotSite();
    runner = await createRunner({ port: 0, runnerId: uniqueRunnerId('e2e'), warmPoolSize: 0, logLevel: 'warn', siteDir: site.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await runner?.close();
    site?.dispose();
  });

  test('`docker version` in the learner terminal shows the engine ("Server:")', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(RECORD_STATES);
    page.setDefaultTimeout(30_000);
    await gotoRobust(page, `${runner.url}/docker-hub/`);
    const term = page.locator('rl-terminal').first();
    await term.scrollIntoViewIfNeeded();
    await terminalReady(page, 240_000);
    await waitForScreen(page, /\$\s*$/m, 60_000);
    await term.locator('.xterm').click();
    // The rootless engine's full `docker version` is taller than the screen: keep the heads.
    await page.keyboard.type("docker version | grep -A2 -E '^(Client|Server)'");
    await page.keyboard.press('Enter');
    const screen = await waitForScreen(page, /Server:[\s\S]*Engine:/, 90_000);
    assert.match(screen, /Version:/);
    await page.close();
  });
});
