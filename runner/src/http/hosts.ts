/**
 * DNS rebinding: a page on evil.example that re-points its name to 127.0.0.1 reaches the
 * runner with `Host: evil.example:4321` and a matching Origin, so the origin check alone
 * would let it drive a learner's sandbox. Requests (and WebSocket upgrades) whose Host is not
 * an allowed host name are refused. The Origin rule (originAllowed) is here too: the guard and
 * the terminal upgrades both apply it.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Config } from '../config.ts';

export type HostRule = (hostHeader: string | undefined) => boolean;

/** `Host` header -> lowercased host name without port or brackets ("[::1]:4321" -> "::1"). */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colons = h.split(':').length - 1;
  // A bare IPv6 address (more than one colon) has no port part.
  const name = colons === 1 ? h.slice(0, h.indexOf(':')) : h;
  return name.replace(/\.$/, '');
}

/** ALLOWED_HOSTS, or: the loopback names, HOST when it is one address, and ALLOWED_ORIGINS' hosts (plus any address literal, see hostRule). */
export function allowedHosts(config: Pick<Config, 'allowedHosts' | 'allowedOrigins' | 'host'>): Set<string> | 'any' {
  if (config.allowedHosts.includes('*')) return 'any';
  if (config.allowedHosts.length > 0) return new Set(config.allowedHosts.map(hostName));
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  if (!['0.0.0.0', '::', ''].includes(config.host)) hosts.add(hostName(config.host.includes(':') ? `[${config.host}]` : config.host));
  for (const origin of config.allowedOrigins) {
    try {
      hosts.add(hostName(new URL(origin).host));
    } catch {
      /* not a URL: it can match no Origin either */
    }
  }
  return hosts;
}

export function hostRule(config: Pick<Config, 'allowedHosts' | 'allowedOrigins' | 'host'>): HostRule {
  const allowed = allowedHosts(config);
  // Rebinding needs a name the attacker controls; an address literal cannot be rebound, so by
  // default any address is fine (http://192.168.1.10:4321 in a classroom works unconfigured).
  const anyAddress = config.allowedHosts.length === 0;
  return (hostHeader) => {
    if (hostHeader === undefined || hostHeader.trim() === '') return false;
    const name = hostName(hostHeader);
    return allowed === 'any' || allowed.has(name) || (anyAddress && isIP(name) !== 0);
  };
}

export const HOST_REFUSED = {
  status: 403,
  code: 'host_not_allowed',
  message: (host: string | undefined) =>
    `This runner does not answer to the host name "${String(host).slice(0, 100)}" (ALLOWED_HOSTS lists the names it answers to).`,
} as const;

export const HOST_MISSING = {
  status: 400,
  code: 'missing_host',
  message: 'The request has no Host header.',
} as const;

/** Allowed origins: ALLOWED_ORIGINS, or the request Host's own origin plus 127.0.0.1/localhost on the runner's port. */
export function originAllowed(origin: string | undefined, req: Pick<IncomingMessage, 'headers'>, config: Config, port: number): boolean {
  // Non-browser clients (scripts, tests) send no Origin; browsers always do.
  if (origin === undefined) return true;
  const o = origin.replace(/\/+$/, '').toLowerCase();
  if (config.allowedOrigins.length > 0) return config.allowedOrigins.some((a) => a.toLowerCase() === o);
  const host = req.headers.host?.toLowerCase();
  const allowed = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  return allowed.has(o);
}
