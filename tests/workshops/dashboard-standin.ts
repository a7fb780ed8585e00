/**
 * A stand-in for the runner's Workshops API ("Workshops" in API.md, the runner's public
 * API contract shared with clients, and docs/api-extensions.md)
 * serving a private copy of the built site, for browser tests of the instructor's dashboard that
 * are about the page, not Docker (tests/workshops/browser.test.ts runs the real runner). One workshop
 * `w1` with the learners `learners()` returns; `push(row)` sends a `learner` event to open streams.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { REPO, snapshotSite } from '../e2e/helpers.ts';

export const STANDIN_KEY = 'instructor-key-for-the-dashboard-tests';

/** A lab as GET /api/labs answers it, from labs/<id>/lab.json (or lab.en.json). */
export function labInfo(id: string, lang: 'ru' | 'en' = 'ru') {
  const dir = join(REPO, 'labs', id);
  const ru = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'));
  // lab.en.json: {title, criteria: {<id>: title}} laid over the Russian lab.json
  const en = lang === 'en' && existsSync(join(dir, 'lab.en.json')) ? JSON.parse(readFileSync(join(dir, 'lab.en.json'), 'utf8')) : null;
  const criteria = (ru.criteria as Array<{ id: string; title: string }>).map((c) => ({ id: c.id, title: (en?.criteria?.[c.id] as string) ?? c.title }));
  return { id, title: (en?.title ?? ru.title) as string, section: ru.section as string, criteria };
}

export interface StandIn {
  url: string;
  push(row: unknown): void;
  close(): Promise<void>;
}

export async function startStandIn(o: { labs: string[]; workshop: Record<string, unknown>; learners: () => unknown[] }): Promise<StandIn> {
  const site = snapshotSite();
  const streams: ServerResponse[] = [];
  const workshop = { id: 'w1', code: 'ABCDEF', state: 'open', labs: o.labs, ...o.workshop };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const authed = req.headers.authorization === `Bearer ${STANDIN_KEY}` || u.searchParams.get('token') === STANDIN_KEY;
    if (u.pathname.startsWith('/api/')) {
      if (u.pathname === '/api/labs') return json(o.labs.map((id) => labInfo(id, u.searchParams.get('lang') === 'en' ? 'en' : 'ru')));
      if (!authed) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"wrong_token","message":"no"}}');
      if (u.pathname === '/api/workshops/w1') return json(workshop);
      if (u.pathname === '/api/workshops/w1/progress') return json({ workshop, learners: o.learners() });
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    push(row) {
      for (const s of streams) s.write(`event: learner\ndata: ${JSON.stringify(row)}\n\n`);
    },
    async close() {
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      site.dispose();
    },
  };
}
