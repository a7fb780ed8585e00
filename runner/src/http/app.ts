/**
 * The fastify app: API routes of API.md (zod-validated bodies), errors as
 * {"error":{"code","message"}}, and the built site on the same origin.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage } from '../core/log.ts';
import { sessionView, type Session, type SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';
import { originAllowed } from '../terminal/server.ts';

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

const labId = z.string().max(64).regex(/^[a-z][a-z0-9-]*$/, 'must be a lab id (lowercase letters, digits, dashes)');

export const createSessionBody = z.object({
  lab: labId.nullish(),
  workshop: z.string().trim().min(1).max(64).nullish(),
  name: z.string().trim().min(1).max(100).nullish(),
});

/** "body.lab: must be ..." from a zod error, naming the field. */
export function describeZodError(err: z.ZodError, root = 'body'): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length ? `${root}.${i.path.map(String).join('.')}` : root;
      let msg = i.message;
      if (i.code === 'invalid_type' && i.path.length === 0) msg = 'must be a JSON object';
      return `${path}: ${msg}`;
    })
    .join('; ');
}

/** Statuses fastify itself may raise for malformed requests, mapped to our codes. */
const FRAMEWORK_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send the body as application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_content_length', 'Content-Length does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The body is empty but declared as JSON.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON.'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'The URL is malformed.'],
  FST_ERR_MAX_PARAM_LENGTH: [404, 'not_found', 'No such resource.'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'The request could not be routed.'],
};

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

function sendError(reply: FastifyReply, err: ApiError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err.code, err.message));
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Registry Lab</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Registry Lab</h1>
<p>Сайт курса ещё не собран. Соберите его командой <code>npm run build:site</code> и перезапустите раннер.</p>
<p lang="en">The course site is not built yet: run <code>npm run build:site</code>, then restart the runner. The API answers at <code>/api/</code>.</p>
</body></html>
`;

export interface HttpDeps {
  config: Config;
  sessions: SessionService;
  labs: LabService;
  /** The actual port once listening (PORT may be 0). */
  port: () => number;
}

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const { config, sessions, labs } = deps;
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    routerOptions: { maxParamLength: 200 },
    // While closing, API calls get our own 503 (onRequest hook below), in the usual error shape.
    return503OnClosing: false,
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    frameworkErrors: (error, _req, reply) => {
      const [status, code, message] = FRAMEWORK_CODES[(error as { code?: string }).code ?? ''] ?? [400, 'bad_request', 'The request is malformed.'];
      (reply as unknown as FastifyReply).code(status).send(errorBody(code, message));
    },
  });

  // JSON: our own parser so an empty body is "no body" and a syntax error is a clear 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ApiError(400, 'invalid_json', `The body is not valid JSON: ${errMessage(err)}`), undefined);
    }
  });

  // Calls that change state are refused from foreign browser origins (same rule as the terminal).
  app.addHook('onRequest', async (req) => {
    if (sessions.isShuttingDown && req.url.startsWith('/api/') && !req.url.startsWith('/api/health')) {
      throw new ApiError(503, 'shutting_down', 'The runner is shutting down; try again in a moment.', { 'retry-after': '30' });
    }
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.raw, config, deps.port())) {
      throw new ApiError(403, 'origin_not_allowed', `Origin ${String(origin).slice(0, 200)} may not call this runner's API.`);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    const e = err as { code?: string; statusCode?: number; message?: string };
    const mapped = e.code ? FRAMEWORK_CODES[e.code] : undefined;
    if (mapped) return reply.code(mapped[0]).send(errorBody(mapped[1], mapped[2]));
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send(errorBody('bad_request', e.message ?? 'The request is malformed.'));
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('internal', 'Something went wrong in the runner; the error was logged.'));
  });

  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    if (url.startsWith('/api/') || url === '/api') {
      return reply.code(404).send(errorBody('not_found', `No API route ${req.method} ${url.slice(0, 200)}.`));
    }
    if (siteBuilt && existsSync(join(config.siteDir, '404.html'))) {
      return reply.code(404).type('text/html; charset=utf-8').sendFile('404.html');
    }
    if (!siteBuilt && (req.method === 'GET' || req.method === 'HEAD')) {
      return reply.code(url === '/' ? 200 : 404).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  });

  const parseBody = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const r = schema.safeParse(body === undefined ? {} : body);
    if (!r.success) throw new ApiError(400, 'invalid_body', describeZodError(r.error));
    return r.data;
  };

  const auth = (req: FastifyRequest<{ Params: { id: string } }>): Session => sessions.authenticate(req.params.id, bearer(req));

  // --- sessions ---------------------------------------------------------------------------
  app.post('/api/sessions', async (req, reply) => {
    const body = parseBody(createSessionBody, req.body);
    if (body.lab && !(await labs.has(body.lab))) {
      throw new ApiError(400, 'unknown_lab', `body.lab: no lab with id "${body.lab}" (GET /api/labs lists them).`);
    }
    const { session, token } = await sessions.create({
      lab: body.lab ?? null,
      workshop: body.workshop ?? null,
      name: body.name ?? null,
      clientAddress: req.ip,
    });
    return reply.code(201).send({
      id: session.id,
      token,
      expiresAt: new Date(session.expiresAt).toISOString(),
      lab: session.lab,
      state: session.state,
    });
  });

  app.get<{ Params: { id: string } }>('/api/sessions/:id', async (req) => sessionView(auth(req)));

  app.post<{ Params: { id: string } }>('/api/sessions/:id/extend', async (req) => {
    const s = sessions.extend(auth(req));
    return { expiresAt: new Date(s.expiresAt).toISOString() };
  });

  app.delete<{ Params: { id: string } }>('/api/sessions/:id', async (req, reply) => {
    await sessions.delete(auth(req));
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/api/sessions/:id/terminal', async (req) => {
    auth(req);
    throw new ApiError(426, 'upgrade_required', 'The terminal is a WebSocket: connect with Upgrade: websocket.');
  });

  // --- labs -------------------------------------------------------------------------------
  app.get('/api/labs', async () => labs.list());

  const labParams = z.object({ lab: labId });
  app.post<{ Params: { id: string; lab: string } }>('/api/sessions/:id/labs/:lab/start', async (req) => {
    const session = auth(req);
    const p = labParams.safeParse(req.params);
    if (!p.success) throw new ApiError(404, 'unknown_lab', `No lab with id "${String(req.params.lab).slice(0, 80)}".`);
    return labs.start(session, p.data.lab);
  });
  app.post<{ Params: { id: string; lab: string } }>('/api/sessions/:id/labs/:lab/check', async (req) => {
    const session = auth(req);
    const p = labParams.safeParse(req.params);
    if (!p.success) throw new ApiError(404, 'unknown_lab', `No lab with id "${String(req.params.lab).slice(0, 80)}".`);
    return labs.check(session, p.data.lab);
  });

  // --- health (extension) -----------------------------------------------------------------
  app.get('/api/health', async () => {
    const st = sessions.stats();
    return {
      ok: !sessions.isShuttingDown,
      sessions: st.sessions,
      starting: st.starting,
      ready: st.ready,
      terminals: st.terminals,
      pool: st.pool,
      maxSessions: config.maxSessions,
      runnerId: config.runnerId,
    };
  });

  // --- the site ---------------------------------------------------------------------------
  const siteBuilt = existsSync(join(config.siteDir, 'index.html'));
  if (siteBuilt) {
    await app.register(fastifyStatic, { root: config.siteDir, wildcard: true, index: ['index.html'] });
  } else {
    app.log.warn({ siteDir: config.siteDir }, 'site is not built; serving a placeholder page');
  }
  return app;
}
