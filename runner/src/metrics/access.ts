/**
 * Who may read /metrics: loopback and the networks in METRICS_ALLOW without a token, anyone
 * with `Authorization: Bearer <METRICS_TOKEN>`. The address is the client address of the
 * request (http/client-address.ts): behind a trusted proxy the forwarded one, so a public
 * request through a proxy on the same host is not "loopback". A request that carries
 * X-Forwarded-For or Forwarded from a peer that is not a trusted proxy gets no address-based
 * access at all: it came through a proxy nobody vouched for.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { proxyList } from '../http/client-address.ts';

export type MetricsVerdict = { ok: true } | { ok: false; status: 401 | 403; code: string; message: string };

const LOOPBACK = ['127.0.0.0/8', '::1'];

function plain(a: string): string {
  return a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

function matcher(entries: string[]): (a: string) => boolean {
  const list = proxyList(entries);
  return (a) => {
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsAccess(opts: { allow: string[]; token: string; trustedProxies: string[] }) {
  const allowed = matcher([...LOOPBACK, ...opts.allow]);
  const trusted = matcher(opts.trustedProxies);
  const want = opts.token ? digest(opts.token) : null;
  return (req: { peer: string | undefined; client: string; headers: IncomingHttpHeaders }): MetricsVerdict => {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (want && m && timingSafeEqual(digest(m[1]!), want)) return { ok: true };
      return { ok: false, status: 401, code: 'wrong_token', message: 'The metrics token is wrong.' };
    }
    const peer = plain(req.peer ?? '');
    const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    const vouched = !forwarded || trusted(peer);
    if (vouched && allowed(plain(req.client))) return { ok: true };
    if (!want) return { ok: false, status: 403, code: 'metrics_not_allowed', message: 'Metrics are answered to loopback and METRICS_ALLOW only (METRICS_TOKEN is not set).' };
    return { ok: false, status: 401, code: 'missing_token', message: 'Metrics need Authorization: Bearer <METRICS_TOKEN> from this address.' };
  };
}
