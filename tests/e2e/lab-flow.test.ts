/**
 * The lab flow in the browser against the real thing: runner, Docker sandbox, grading engine
 * (no fake engine). Lab page → Начать → Проверить (✗ with the engine's messages and hints) →
 * the reference solution runs in the sandbox → Проверить (✓) → progress recorded.
 * A missing precondition (built lab page, images) fails the test; it never skips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { labDefinitionSchema, type LabDefinition } from '../../checks/lab-schema.ts';
import { uniqueRunnerId } from '../runner/helpers.ts';
import { REPO, gotoRobust, launchBrowser, snapshotSite } from './helpers.ts';

const LAB = 'save-load';

describe('lab flow in the browser, real runner and engine', { timeout: 900_000 }, () => {
  let runner: Runner;
  let browser: Browser;
  let page: Page;
  let site: ReturnType<typeof snapshotSite>;
  let lab: LabDefinition;

  before(async () => {
    site = snapshotSite();
    assert.ok(existsSync(join(site.dir, 'labs', LAB, 'index.html')), `the site has no page /labs/${LAB}/ (build it: npm run build:site)`);
    lab = labDefinitionSchema.parse(JSON.parse(readFileSync(join(REPO, 'labs', LAB, 'lab.json'), 'utf8')));
    runner = await createRunner({ port: 0, host: '127.0.0.1', runnerId: uniqueRunnerId('e2e-lab'), warmPoolSize: 0, logLevel: 'silent', siteDir: site.dir });
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
  });
  after(async () => {
    const stored = page ? await page.evaluate(() => localStorage.getItem('registry-lab:session:v1')).catch((e: Error) => (console.error(`session not read: ${e.message}`), null)) : null;
    const s = stored ? (JSON.parse(stored) as { id: string; token: string }) : null;
    if (s && runner) await fetch(`${runner.url}/api/sessions/${s.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } });
    await browser?.close();
    await runner?.close();
    site?.dispose();
  });

  test(`${LAB}: start, check ✗ with the engine's messages, solve, check ✓, progress recorded`, async () => {
    await gotoRobust(page, `${runner.url}/labs/${LAB}/`);
    const panel = page.locator('rl-lab');
    await panel.getByRole('button', { name: 'Начать' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 300_000 });

    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="bad"]').waitFor({ timeout: 120_000 });
    for (const c of lab.criteria) {
      const li = panel.locator(`.rl-criterion[data-id="${c.id}"]`);
      assert.equal(await li.getAttribute('data-state'), 'fail', c.id);
      assert.equal((await li.locator('.rl-criterion-mark').textContent())?.trim(), '✗');
      const hinted = lab.hints.some((h) => h.criterion === c.id);
      assert.equal(await li.locator('.rl-criterion-hint').isVisible(), hinted, `hint for ${c.id}`);
    }
    assert.match((await panel.locator('.rl-criterion[data-id="archive"] .rl-criterion-message').textContent()) ?? '', /Файла ~\/transfer\/shop-api\.tar нет/);

    // The learner's part, done by the reference solution in the same sandbox.
    const { id } = JSON.parse((await page.evaluate(() => localStorage.getItem('registry-lab:session:v1')))!) as { id: string };
    const solve = readFileSync(join(REPO, 'labs', LAB, 'solve.sh'), 'utf8');
    const r = await runner.provider.ops(id).exec(['bash', '-lc', solve], { user: 'learner', timeoutMs: 300_000 });
    assert.equal(r.exitCode, 0, r.stderr);

    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 120_000 });
    for (const c of lab.criteria) assert.equal(await panel.locator(`.rl-criterion[data-id="${c.id}"]`).getAttribute('data-state'), 'pass', c.id);
    const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:progress:v1') ?? '{}'));
    assert.equal(progress.labs?.[LAB]?.passed, true);
  });
});
