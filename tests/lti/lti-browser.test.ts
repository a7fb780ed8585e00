/**
 * The launch in a real browser (Chromium, Playwright) with the built site: a course page of
 * the fake LMS, on another origin and site (127.0.0.1 vs localhost), frames the tool; the
 * login initiation, the OIDC round trip and the launch run inside the iframe, where
 * third-party cookies do not help; the tool's pages may be framed by the platform
 * (frame-ancestors) and the lab page gets the session (the workshop banner shows the course).
 * An instructor launch in a window opens the dashboard with the LMS panel (roster, scores).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { operatorTokenPath } from '../../runner/src/workshops/secrets.ts';
import { gotoRobust, launchBrowser, reloadWhileDropped, snapshotSite, watchDroppedRequests } from '../e2e/helpers.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { demoEngine } from '../operations/fake-engine.ts';
import { FakePlatform, INSTRUCTOR, LEARNER } from './platform.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rl-lti-browser-'));
let runner: Runner;
let platform: FakePlatform;
let browser: Browser;
let tool: string;
let operator: string;
// LTI_TEST_SITE_DIR: a site built elsewhere (while site/dist is being rebuilt by someone else).
const site = process.env.LTI_TEST_SITE_DIR ? { dir: process.env.LTI_TEST_SITE_DIR, dispose() {} } : snapshotSite();

before(async () => {
  platform = await new FakePlatform().start();
  runner = await createRunner({ port: 0, runnerId: uniqueRunnerId('ltib'), logLevel: 'silent', siteDir: site.dir, warmPoolSize: 0, dataDir, instructorToken: '' }, { provider: createFakeProvider(), labEngine: async () => demoEngine });
  tool = runner.url.replace('127.0.0.1', 'localhost');
  platform.toolJwks = `${runner.url}/lti/jwks`;
  operator = readFileSync(operatorTokenPath(runner.config), 'utf8').trim();
  assert.equal((await api(runner.url, 'POST', '/lti/registrations', { token: operator, body: platform.registration() })).status, 201);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await runner?.close();
  await platform?.stop();
  site.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the launch runs in an iframe of the LMS page (another origin) and hands the session to the lab page', { timeout: 120_000 }, async () => {
  platform.pending.set('browser-student', (nonce) => platform.idToken(platform.resourceLink({ sub: 'browser-student', lab: 'tagging', locale: 'en' }), { nonce }));
  const page = await browser.newPage();
  try {
    await page.goto(`${platform.url}/course?hint=browser-student&tool=${encodeURIComponent(tool)}`);
    const frame = await (await page.waitForSelector('#tool')).contentFrame();
    assert.ok(frame);
    await frame.waitForURL((u) => u.href.startsWith(`${tool}/en/labs/tagging/`), { timeout: 60_000 });
    // The session reached the lab page (from the frame's storage, or, where the browser refuses
    // third-party storage, as this Chromium does, from the fragment it then removes).
    await frame.locator('.rl-wsb-title').filter({ hasText: 'Docker 101' }).waitFor({ timeout: 30_000 });
    assert.equal(new URL(frame.url()).hash, '', 'the session is taken out of the address');
    const live = runner.sessions.list();
    assert.equal(live.length, 1, 'the page uses the launched session, it makes no other');
    assert.equal(live[0]!.name, 'User browser-student');
    // The site's pages (not only the LTI ones) may be framed by the registered platform, and only by it.
    const csp = (await fetch(`${tool}/en/labs/tagging/`)).headers.get('content-security-policy');
    assert.equal(csp, `frame-ancestors 'self' ${platform.url}`);
  } finally {
    await page.close();
  }
});

test('an instructor launch in a window opens the course dashboard with the LMS panel', { timeout: 120_000 }, async () => {
  platform.members = [
    { user_id: 'browser-student', roles: [LEARNER], name: 'User browser-student' },
    { user_id: 'absent', roles: [LEARNER], name: 'Absent Learner' },
  ];
  platform.pending.set('browser-teacher', (nonce) => platform.idToken(platform.resourceLink({ sub: 'browser-teacher', roles: [INSTRUCTOR], nrps: true, locale: 'en' }), { nonce }));
  const page = await browser.newPage();
  const drops = watchDroppedRequests(page);
  try {
    await page.goto(`${platform.url}/start?hint=browser-teacher&tool=${encodeURIComponent(tool)}`);
    await page.waitForURL((u) => u.pathname === '/en/instructor/workshop/', { timeout: 60_000 });
    // Other suites' sandboxes change the host's interfaces: a dashboard whose script was dropped is loaded again.
    await reloadWhileDropped(page, drops);
    const panel = page.locator('rl-lti-course');
    await page.locator('.rl-dash-main').waitFor({ state: 'visible', timeout: 60_000 });
    await panel.getByText('LMS course: Docker 101').waitFor({ timeout: 60_000 });
    assert.match(await panel.locator('.rl-lti-roster').innerText(), /Not started yet \(1\): Absent Learner/);
    assert.match(await panel.locator('.rl-lti-scores').innerText(), /every score has been sent/);
    assert.ok(!page.url().includes('key='), 'the key left the address');
  } finally {
    drops.stop();
    await page.close();
  }
});

test('the operator registers and removes a platform on /instructor/', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  try {
    await page.addInitScript((t) => localStorage.setItem('registry-lab:operator-token:v1', t), operator);
    await gotoRobust(page, `${tool}/en/instructor/`);
    const box = page.locator('rl-lti-platforms');
    await box.getByText('Registered platforms').waitFor({ timeout: 60_000 });
    assert.match(await box.locator('.rl-lti-config').innerText(), new RegExp(`${tool}/lti/login`));
    await box.getByLabel('Issuer (Platform ID)').fill('https://moodle.example.edu');
    await box.getByLabel('Client ID').fill('moodle-client');
    await box.getByLabel('Deployment IDs (comma-separated)').fill('1, 2');
    await box.getByLabel('OIDC auth URL').fill('https://moodle.example.edu/mod/lti/auth.php');
    await box.getByLabel('Token URL').fill('https://moodle.example.edu/mod/lti/token.php');
    await box.getByLabel('JWKS URL (public keyset)').fill('https://moodle.example.edu/mod/lti/certs.php');
    await box.getByRole('button', { name: 'Register' }).click();
    await box.getByText('The platform is registered.').waitFor({ timeout: 30_000 });
    const regs = (await api(runner.url, 'GET', '/lti/registrations', { token: operator })).json;
    assert.deepEqual(regs.find((r: any) => r.issuer === 'https://moodle.example.edu')?.deployments, ['1', '2']);
    await box.locator('li', { hasText: 'moodle-client' }).getByRole('button', { name: 'Remove' }).click();
    await box.locator('li', { hasText: 'moodle-client' }).waitFor({ state: 'detached', timeout: 30_000 });
    assert.ok(!(await api(runner.url, 'GET', '/lti/registrations', { token: operator })).json.some((r: any) => r.issuer === 'https://moodle.example.edu'));
  } finally {
    await page.close();
  }
});
