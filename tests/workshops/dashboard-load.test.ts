/**
 * The dashboard with a full room: 100 learners and a burst of 2,000 `learner` events, in
 * Chromium. The runner's API is stood in for by a small HTTP server speaking the documented shapes
 * ("Workshops" in API.md, the runner's public API contract shared with clients, and
 * docs/api-extensions.md): this is about the page, not Docker
 * (tests/workshops/browser.test.ts runs the real runner). Checks that every row ends in its last
 * state, that rows are updated in place (no row element is replaced), and prints the time the
 * page spent in long tasks (a figure, not an assertion: speed is not asserted on a shared host).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { gotoRobust, launchBrowser, snapshotSite } from '../e2e/helpers.ts';

const N = 100;
const EVENTS = 2000;
const LABS = ['tagging', 'push-private', 'registry-auth', 'save-load', 'registry-api'];
const KEY = 'instructor-key-for-the-load-test';
const T0 = Date.now();

function learner(i: number, step: number) {
  const labs: Record<string, unknown> = {};
  LABS.forEach((lab, j) => {
    if (step > j * 2) labs[lab] = { passed: step > j * 2 + 1, lastCheckedAt: new Date(T0).toISOString(), criteria: { a: true, b: step > j * 2 + 1 } };
  });
  return {
    session: `s${String(i).padStart(3, '0')}`,
    name: `Участник ${i}`,
    state: 'ready',
    joinedAt: new Date(T0).toISOString(),
    lastActivityAt: new Date(T0 + step * 1000).toISOString(),
    expiresAt: new Date(T0 + 3600_000).toISOString(),
    labs,
    quiz: { answered: step, correct: step },
    connected: step % 2 === 0,
    lastCheck: null,
  };
}

describe('dashboard with 100 learners (runner API stood in for)', { timeout: 300_000 }, () => {
  let server: Server;
  let url = '';
  let browser: Browser;
  let site: ReturnType<typeof snapshotSite>;
  const streams: ServerResponse[] = [];

  before(async () => {
    site = snapshotSite();
    const workshop = { id: 'w1', code: 'ABCDEF', title: 'Нагрузка', state: 'open', learners: N, seats: 100, labs: LABS, createdAt: new Date(T0).toISOString(), endsAt: null };
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const authed = req.headers.authorization === `Bearer ${KEY}` || u.searchParams.get('token') === KEY;
      if (u.pathname.startsWith('/api/')) {
        if (u.pathname === '/api/labs') return json(LABS.map((id) => ({ id, title: `Лаба ${id}`, section: 'x', criteria: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }] })));
        if (!authed) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"wrong_token","message":"no"}}');
        if (u.pathname === '/api/workshops/w1') return json(workshop);
        if (u.pathname === '/api/workshops/w1/progress') return json({ workshop, learners: Array.from({ length: N }, (_, i) => learner(i, 0)) });
        if (u.pathname === '/api/workshops/w1/help') return json([]);
        if (u.pathname === '/api/workshops/w1/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.write('retry: 2000\n\n');
          streams.push(res);
          return;
        }
        return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no"}}');
      }
      let file = join(site.dir, normalize(decodeURIComponent(u.pathname)));
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!file.startsWith(site.dir) || !existsSync(file)) return res.writeHead(404).end();
      const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8` });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    for (const s of streams) s.end();
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    site?.dispose();
  });

  test('2,000 events over 100 rows: last state everywhere, rows updated in place', async () => {
    const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1366, height: 900 } });
    await ctx.addInitScript((k) => {
      localStorage.setItem('registry-lab:operator-token:v1', k);
      (window as any).__long = 0;
      new PerformanceObserver((l) => l.getEntries().forEach((e) => ((window as any).__long += e.duration))).observe({ type: 'longtask', buffered: true });
    }, KEY);
    const page = await ctx.newPage();
    await gotoRobust(page, `${url}/instructor/workshop/?id=w1`);
    await page.locator('.rl-dash-conn[data-state="live"]').waitFor({ timeout: 30_000 });
    await page.waitForFunction((n) => document.querySelectorAll('.rl-dash-grid tbody tr').length === n, N);
    await page.evaluate(() => {
      (window as any).__rows = [...document.querySelectorAll('.rl-dash-grid tbody tr')];
      (window as any).__long = 0;
      performance.clearMeasures('rl-dash-flush');
    });

    const last = new Map<number, number>();
    const started = Date.now();
    for (let e = 0; e < EVENTS; e++) {
      const i = (e * 37) % N;
      const step = Math.min(10, (last.get(i) ?? 0) + 1);
      last.set(i, step);
      const frame = `event: learner\ndata: ${JSON.stringify(learner(i, step))}\n\n`;
      for (const s of streams) s.write(frame);
      if (e % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    await page.waitForFunction(
      () => document.querySelectorAll('.rl-dash-grid tbody tr:first-child .rl-dash-quiz')[0]?.textContent?.startsWith('10 '),
      undefined,
      { timeout: 60_000 },
    );
    const settled = Date.now() - started;
    const longMs = await page.evaluate(() => (window as any).__long as number);
    const flushes = await page.evaluate(() => performance.getEntriesByName('rl-dash-flush').map((e) => e.duration));
    const sorted = [...flushes].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;

    const sameRows = await page.evaluate(() => {
      const before = new Set((window as any).__rows as Element[]);
      return [...document.querySelectorAll('.rl-dash-grid tbody tr')].every((tr) => before.has(tr));
    });
    assert.ok(sameRows, 'no row element was replaced');
    const quiz = await page.$$eval('.rl-dash-grid tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.session, tr.querySelector('.rl-dash-quiz')!.textContent]));
    for (const [session, text] of quiz) {
      const i = Number(session!.slice(1));
      assert.equal(text, `${last.get(i) ?? 0} из ${last.get(i) ?? 0}`, session);
    }
    assert.equal(await page.locator('button.rl-cell[data-kind="passed"]').count(), [...last.values()].reduce((n, s) => n + LABS.filter((_, j) => s > j * 2 + 1).length, 0));
    console.log(`[dashboard load] ${N} learners, ${EVENTS} events: settled ${settled} ms after the first event; long tasks ${Math.round(longMs)} ms in total; ${flushes.length} frames wrote rows, DOM write per frame p95 ${p95.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`);
    await ctx.close();
  });
});
