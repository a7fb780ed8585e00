/**
 * Shared pieces of the browser end-to-end tests: site build check, a tiny static server
 * (the "static deployment": no runner behind /api), Chromium launch, axe-core runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { sleep } from '../support/wait.ts';

export { sleep };

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(REPO, 'site', 'dist');
export const AXE_PATH = join(REPO, 'node_modules', 'axe-core', 'axe.min.js');

/** Builds the site once when site/dist is missing (the normal flow builds it before the e2e suites). */
export function ensureSiteBuilt() {
  if (existsSync(join(DIST, 'index.html'))) return;
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-site.ts')], { cwd: REPO, stdio: 'inherit', timeout: 300_000 });
  if (r.status !== 0) throw new Error('site build failed');
}

/**
 * A private copy of site/dist for one test file, so a site rebuild running at the same time
 * (other engineers, other suites) cannot swap files under the browser. Remove it with `dispose()`.
 */
export function snapshotSite(): { dir: string; dispose(): void } {
  ensureSiteBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rl-site-'));
  cpSync(DIST, dir, { recursive: true });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
  /** bytes served per path, to measure page weights */
  served: Map<string, number>;
}

/** Serves a folder like a static host would: no /api, HTML 404 page for anything unknown. */
export async function startStaticServer(root = DIST): Promise<StaticServer> {
  const served = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = normalize(decodeURIComponent(url.pathname));
    let file = join(root, path);
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(400).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      const notFound = join(root, '404.html');
      if (existsSync(notFound)) createReadStream(notFound).pipe(res);
      else res.end('<!doctype html><title>404</title>Not found');
      return;
    }
    path = '/' + relative(root, file).split(sep).join('/');
    served.set(path, statSync(file).size);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Every built HTML page as a site path ("/", "/docker-hub/", "/labs/x/", "/en/…", "/404.html"). */
export function builtPages(root = DIST): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name === '_astro' || name === 'pagefind') continue;
        walk(p);
      } else if (name.endsWith('.html')) {
        const rel = '/' + relative(root, p).split(sep).join('/');
        out.push(rel.endsWith('/index.html') ? rel.slice(0, -'index.html'.length) : rel);
      }
    }
  };
  walk(root);
  return out.sort();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.1 A/AA) on the page; returns the violations. */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async () => {
    const r = await (window as any).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n: any) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

export function formatViolations(where: string, v: AxeViolation[]): string {
  return v
    .map((x) => `${where}: [${x.impact}] ${x.id}: ${x.help}\n${x.nodes.map((n) => `    ${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n')}`)
    .join('\n');
}

/**
 * Requests of a page that Chromium dropped with net::ERR_NETWORK_CHANGED: on this host Docker adds
 * and removes network interfaces all the time (other suites' sandboxes), and Chromium then aborts
 * requests in flight — sometimes a page's module script, which leaves the page without its
 * components (a learner's browser does not sit on the Docker host).
 */
export function watchDroppedRequests(page: Page) {
  const dropped: string[] = [];
  const onFail = (r: Request) => {
    if (r.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) dropped.push(r.url());
  };
  page.on('requestfailed', onFail);
  return {
    dropped,
    /** One more, from a navigation that itself failed with ERR_NETWORK_CHANGED (or rethrows any other error). */
    failed(e: unknown, url: string) {
      if (!String(e).includes('ERR_NETWORK_CHANGED')) throw e;
      dropped.push(url);
    },
    reset: () => void dropped.splice(0),
    stop: () => void page.off('requestfailed', onFail),
  };
}

type Drops = ReturnType<typeof watchDroppedRequests>;

/** Loads again (by `load`) while the last load lost requests; throws after `tries` loads. */
async function loadUntilWhole(drops: Drops, what: string, tries: number, load: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; drops.dropped.length > 0; attempt++) {
    if (attempt >= tries) throw new Error(`${what}: still losing requests to ERR_NETWORK_CHANGED after ${tries} loads: ${drops.dropped.slice(0, 3).join(', ')}`);
    // Interfaces come in bursts (a sandbox adds several): wait a little longer each time.
    await sleep(300 * attempt);
    drops.reset();
    await load().catch((e: unknown) => drops.failed(e, what));
  }
}

/**
 * page.goto that survives ERR_NETWORK_CHANGED (watchDroppedRequests): a load that lost requests is
 * retried from a blank page; when every try lost requests, it throws instead of handing back a
 * half-loaded page.
 */
export async function gotoRobust(page: Page, url: string, tries = 8): Promise<void> {
  const drops = watchDroppedRequests(page);
  try {
    await page.goto(url, { waitUntil: 'load' }).catch((e: unknown) => drops.failed(e, url));
    await loadUntilWhole(drops, url, tries, async () => {
      // Leave the page first: going to the same URL with a #fragment (the dashboard's #key=) would
      // only scroll the half-loaded page, not load it again.
      await page.goto('about:blank');
      drops.reset();
      await page.goto(url, { waitUntil: 'load' });
    });
  } finally {
    drops.stop();
  }
}

/**
 * For a page reached by a chain of navigations (an LTI launch) that `drops` watched from its start:
 * once it has loaded, loads it again while any request on the way was dropped (gotoRobust's rule).
 */
export async function reloadWhileDropped(page: Page, drops: Drops, tries = 8): Promise<void> {
  await page.waitForLoadState('load');
  await loadUntilWhole(drops, page.url(), tries, () => page.reload({ waitUntil: 'load' }));
}
