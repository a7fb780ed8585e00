/**
 * The built course site on the same origin, and what answers when nothing else does: unknown
 * API paths are 404 not_found in the API's error shape (never a static-file answer), unknown
 * pages the site's 404 page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import { sendError } from './errors.ts';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Registry Lab</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Registry Lab</h1>
<p>Сайт курса ещё не собран. Соберите его командой <code>npm run build:site</code> и перезапустите раннер.</p>
<p lang="en">The course site is not built yet: run <code>npm run build:site</code>, then restart the runner. The API answers at <code>/api/</code>.</p>
</body></html>
`;

function apiNotFound(req: FastifyRequest, reply: FastifyReply) {
  const url = req.url.split('?')[0] ?? '';
  return sendError(reply, new ApiError(404, 'not_found', `No API route ${req.method} ${url.slice(0, 200)}.`));
}

export async function siteRoutes(app: FastifyInstance, config: Config): Promise<void> {
  const siteBuilt = existsSync(join(config.siteDir, 'index.html'));
  const has404Page = siteBuilt && existsSync(join(config.siteDir, '404.html'));

  // More specific than the static wildcard: /api/... never reaches the file server.
  app.all('/api', apiNotFound);
  app.all('/api/*', apiNotFound);

  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    if (url.startsWith('/api/') || url === '/api') return apiNotFound(req, reply);
    if (has404Page) return reply.code(404).type('text/html; charset=utf-8').sendFile('404.html');
    if (!siteBuilt && (req.method === 'GET' || req.method === 'HEAD')) {
      return reply.code(url === '/' ? 200 : 404).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return sendError(reply, new ApiError(404, 'not_found', 'No such page.'));
  });

  if (siteBuilt) {
    await app.register(fastifyStatic, { root: config.siteDir, wildcard: true, index: ['index.html'] });
  } else {
    app.log.warn({ siteDir: config.siteDir }, 'site is not built; serving a placeholder page');
  }
}
