/**
 * The launch in a real browser (Chromium, Playwright): a course page of the fake LMS, on
 * another origin and site (127.0.0.1 vs localhost), frames the tool; the login initiation,
 * the OIDC round trip and the launch run inside the iframe, where third-party cookies do not
 * help; the tool's pages may be framed by the platform (frame-ancestors) and the session
 * lands in the frame's storage, ready for the lab page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { operatorTokenPath } from '../../runner/src/workshops/secrets.ts';
import { launchBrowser } from '../e2e/helpers.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { demoEngine } from '../operations/fake-engine.ts';
import { FakePlatform } from './platform.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'rl-lti-browser-'));
let runner: Runner;
let platform: FakePlatform;
let browser: Browser;
let tool: string;

before(async () => {
  platform = await new FakePlatform().start();
  runner = await createRunner({ port: 0, runnerId: uniqueRunnerId('ltib'), logLevel: 'silent', siteDir: '/nonexistent-site', warmPoolSize: 0, dataDir, instructorToken: '' }, { provider: createFakeProvider(), labEngine: async () => demoEngine });
  tool = runner.url.replace('127.0.0.1', 'localhost');
  platform.toolJwks = `${runner.url}/lti/jwks`;
  const operator = readFileSync(operatorTokenPath(runner.config), 'utf8').trim();
  assert.equal((await api(runner.url, 'POST', '/lti/registrations', { token: operator, body: platform.registration() })).status, 201);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await runner?.close();
  await platform?.stop();
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
    // The session is in the frame's storage, or, where the browser refuses third-party storage
    // (this Chromium does), handed over in the fragment for the page (site/src/lib/session.ts).
    const stored = await frame.evaluate(() => {
      try {
        return localStorage.getItem('registry-lab:session:v1');
      } catch {
        return null;
      }
    });
    const fragment = /#rl-session=(.+)$/.exec(frame.url())?.[1];
    assert.ok(stored || fragment, `no session handed over: ${frame.url()}`);
    const s = JSON.parse(stored ?? decodeURIComponent(fragment!)) as { id: string; token: string; workshop: { title: string } };
    assert.equal(s.workshop.title, 'Docker 101');
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token })).status, 200);
  } finally {
    await page.close();
  }
});
