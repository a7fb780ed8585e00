/** GET /metrics (Prometheus text format) and the count of API error answers. */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../core/errors.ts';
import { metricsAccess } from './access.ts';
import type { Metrics } from './registry.ts';

export interface MetricsRouteDeps {
  metrics: Metrics;
  allow: string[];
  token: string;
  trustedProxies: string[];
  /** Called before rendering: figures that are summed at scrape time (terminal bytes). */
  beforeScrape?: () => void;
}

/** On the root instance (a plugin's hooks would see only its own routes). */
export function installMetrics(app: FastifyInstance, deps: MetricsRouteDeps): void {
  const { metrics } = deps;
  const access = metricsAccess(deps);
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.startsWith('{"error":')) {
      const code = /^\{"error":\{"code":"([a-z0-9_]{1,64})"/.exec(payload)?.[1] ?? 'unknown';
      metrics.apiError(reply.statusCode, code);
    }
    return payload;
  });
  app.get('/metrics', async (req, reply) => {
    const verdict = access({ peer: req.raw.socket?.remoteAddress, client: req.clientAddress, headers: req.headers });
    if (!verdict.ok) {
      throw new ApiError(verdict.status, verdict.code, verdict.message, verdict.status === 401 ? { 'www-authenticate': 'Bearer realm="metrics"' } : {});
    }
    deps.beforeScrape?.();
    const { contentType, body } = await metrics.render();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}
