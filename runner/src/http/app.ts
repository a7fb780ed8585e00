/**
 * The fastify app: one plugin per resource (sessions, labs, health, the site), route schemas
 * in zod, errors as {"error":{"code","message"}} everywhere (see errors.ts and
 * client-errors.ts), and a guard hook in front of everything (guard.ts).
 */
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage } from '../core/log.ts';
import type { SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';
import { clientErrorHandler } from './client-errors.ts';
import { frameworkError, installErrorHandler } from './errors.ts';
import { installGuard } from './guard.ts';
import { healthRoutes } from './health.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { labRoutes } from './labs.ts';
import { zodValidatorCompiler } from './schemas.ts';
import { sessionRoutes } from './sessions.ts';
import { siteRoutes } from './site.ts';
import { workshopRoutes } from './workshops.ts';
import type { WorkshopService } from '../workshops/service.ts';

export { errorBody } from './errors.ts';
export { createSessionBody, describeZodError } from './schemas.ts';

export interface HttpDeps {
  config: Config;
  sessions: SessionService;
  labs: LabService;
  /** The actual port once listening (PORT may be 0). */
  port: () => number;
  workshops?: WorkshopService;
  /** For the readiness probe (engine and mirror). */
  provider?: SandboxProvider;
  /**
   * Installs GET /metrics and the count of error answers on the root instance, before the routes
   * (app.ts passes metrics/route.ts installMetrics; absent: no /metrics).
   */
  metrics?: (app: FastifyInstance) => void;
  /** Origins that may frame the runner's pages (LTI: the registered platforms), besides its own. */
  frameAncestors?: () => string[];
}

/** A URL as logged: secrets in the query string (?token=) are replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|key)=)[^&#]*/gi, '$1[redacted]');
}

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            // Never a token in the log: event streams and terminals carry it as ?token=.
            serializers: {
              req: (req) => ({
                method: req.method,
                url: redactUrl(req.url),
                hostname: req.host,
                remoteAddress: req.ip,
              }),
            },
          },
    bodyLimit: config.bodyLimit,
    routerOptions: { maxParamLength: 200 },
    http: {
      // A request without Host gets our own 400 (guard.ts), not Node's empty one.
      requireHostHeader: false,
      headersTimeout: config.requestTimeoutMs,
      // How often Node looks for timed-out requests; its default (30 s) is too coarse for short timeouts.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(config.requestTimeoutMs / 4))),
    },
    requestTimeout: config.requestTimeoutMs,
    // While closing, API calls get our own 503 (guard.ts), in the usual error shape.
    return503OnClosing: false,
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    frameworkErrors: (error, _req, reply) => frameworkError(error, reply),
    clientErrorHandler,
  });

  // JSON: our own parser so an empty body is "no body" and a syntax error is a clear 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return done(new ApiError(400, 'invalid_json', `The body is not valid JSON: ${errMessage(err)}`), undefined);
    }
    // fastify gives a request without a body as null; a JSON null is a wrong body, not no body.
    if (value === null) return done(new ApiError(400, 'invalid_body', 'body: must be a JSON object'), undefined);
    done(null, value);
  });
  // Node caches the peer address on first read: read it on accept, so a client that resets
  // right after sending its request is still attributed to its address (guard.ts).
  app.server.on('connection', (socket: Socket) => void socket.remoteAddress);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.decorateRequest('session', null);

  installErrorHandler(app);
  installGuard(app, deps);
  if (deps.frameAncestors) {
    const origins = deps.frameAncestors;
    app.addHook('onSend', async (_req, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html') && !reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', ["frame-ancestors 'self'", ...origins()].join(' '));
      }
      return payload;
    });
  }
  deps.metrics?.(app);

  await app.register(sessionRoutes(deps));
  await app.register(labRoutes(deps));
  await app.register(healthRoutes(deps));
  if (deps.workshops) await app.register(workshopRoutes({ workshops: deps.workshops }));
  await siteRoutes(app, config);
  return app;
}
