/**
 * The first hook of every request: who the client is (read now, while the socket is there),
 * whether the Host is one this runner answers to, whether the runner is shutting down, and
 * whether a browser origin may change state.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import type { SessionService } from '../core/sessions.ts';
import { originAllowed } from './hosts.ts';
import { clientAddressRule } from './client-address.ts';
import { HOST_MISSING, HOST_REFUSED, hostName, hostRule } from './hosts.ts';

/** Probes and scrapers address the runner by IP (a kubelet, Prometheus): an address cannot be rebound. */
const BY_ADDRESS = /^\/(?:metrics|api\/health\/(?:live|ready))(?:\?|$)/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The client this request counts against (see client-address.ts). */
    clientAddress: string;
  }
}

export function installGuard(app: FastifyInstance, deps: { config: Config; sessions: SessionService; port: () => number }): void {
  const { config, sessions } = deps;
  const hostAllowed = hostRule(config);
  const clientAddress = clientAddressRule(config.trustedProxies);
  app.decorateRequest('clientAddress', '');

  app.addHook('onRequest', async (req) => {
    req.clientAddress = clientAddress(req.raw.socket?.remoteAddress, req.headers['x-forwarded-for']);
    const host = req.headers.host;
    if (host === undefined || host.trim() === '') throw new ApiError(HOST_MISSING.status, HOST_MISSING.code, HOST_MISSING.message);
    if (!hostAllowed(host) && !(BY_ADDRESS.test(req.url) && isIP(hostName(host)) !== 0)) throw new ApiError(HOST_REFUSED.status, HOST_REFUSED.code, HOST_REFUSED.message(host));
    const path = req.url;
    if (sessions.isShuttingDown && path.startsWith('/api/') && !path.startsWith('/api/health')) {
      throw new ApiError(503, 'shutting_down', 'The runner is shutting down; try again in a moment.', { 'retry-after': '30' });
    }
    // Calls that change state are refused from foreign browser origins (same rule as the terminal).
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    // LTI: the LMS posts forms from its own origin; they carry a signed token (or a bearer token), not a cookie.
    if (path.startsWith('/lti/')) return;
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.raw, config, deps.port())) {
      throw new ApiError(403, 'origin_not_allowed', `Origin ${String(origin).slice(0, 200)} may not call this runner's API.`);
    }
  });
}
