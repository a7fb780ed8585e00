/**
 * Requests to one registry: a timeout on every request and its body (AbortSignal.timeout),
 * Basic auth (registry:2 with htpasswd) or the Bearer token flow (401 with `WWW-Authenticate:
 * Bearer realm=...`, only towards a token service the runner names) with tokens cached per
 * scope, and RegistryError for every failure.
 *
 * The registry is untrusted: no redirect is followed, no realm outside `tokenServices` is
 * fetched, every body is read through a size cap, and no byte of an answer reaches a message.
 */
import { basicHeader, parseWwwAuthenticate, scopeFor, type RegistryAuth } from './auth.ts';
import { describeFetchError, httpError, readCapped, RegistryError } from './errors.ts';

/** JSON answers (catalog, tags, token) are read up to this size. */
export const MAX_JSON_BYTES = 1024 * 1024;

export interface RequestOptions {
  method?: string;
  accept?: string;
  timeoutMs?: number;
  /** Statuses returned to the caller instead of thrown (besides 2xx). */
  allow?: number[];
}

export interface RegistryHttpOptions {
  /**
   * Origins (`http://host:port`) of token services a Bearer challenge may send the client to.
   * None by default: a Bearer challenge is then an error and its realm is never fetched.
   */
  tokenServices?: string[];
}

/** What a response answered, for the messages about its body. */
interface Asked {
  method: string;
  path: string;
  timeoutMs: number;
}

export class RegistryHttp {
  private readonly baseUrl: string;
  private readonly auth?: RegistryAuth;
  private readonly timeoutMs: number;
  private readonly tokenServices: Set<string>;
  /** Bearer tokens by scope ('' = no scope). */
  private readonly tokens = new Map<string, string>();
  /** Whether the registry asked for Bearer (then Basic is not sent to it directly). */
  private bearerMode = false;
  private readonly asked = new WeakMap<Response, Asked>();

  /** `baseUrl` without a trailing slash; `timeoutMs` bounds a request (and its body) unless it names its own. */
  constructor(baseUrl: string, auth: RegistryAuth | undefined, timeoutMs: number, options: RegistryHttpOptions = {}) {
    this.baseUrl = baseUrl;
    this.auth = auth;
    this.timeoutMs = timeoutMs;
    this.tokenServices = new Set(
      (options.tokenServices ?? []).map((s) => {
        try {
          return new URL(s).origin;
        } catch {
          throw new Error(`RegistryHttp: token service "${s}" is not a URL`);
        }
      }),
    );
  }

  async request(path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.baseUrl + path;
    const method = opts.method ?? 'GET';
    const scope = scopeFor(path, method);
    let res = await this.send(url, method, path, opts, this.authHeader(scope));
    if (res.status === 401) {
      const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
      await res.body?.cancel().catch(() => undefined);
      if (challenge.scheme === 'bearer') {
        const realm = challenge.params.realm ?? '';
        if (!this.trustedRealm(realm)) {
          throw new RegistryError(`registry ${this.baseUrl} asked for a token from a service the check does not use (HTTP 401 on ${method} ${path})`, {
            url,
            status: 401,
            code: 'UNAUTHORIZED',
            detail: `WWW-Authenticate realm: ${realm}`,
          });
        }
        this.bearerMode = true;
        const token = await this.fetchToken(challenge.params, scope);
        res = await this.send(url, method, path, opts, `Bearer ${token}`);
      } else if (challenge.scheme === 'basic' && !this.auth) {
        if (opts.allow?.includes(401)) return res;
        throw new RegistryError(`registry ${this.baseUrl} requires a login (HTTP 401 on ${method} ${path}) and no credentials were given`, { url, status: 401, code: 'UNAUTHORIZED' });
      }
    }
    if (res.ok || opts.allow?.includes(res.status)) return res;
    throw await httpError(res, method, path, `registry ${this.baseUrl}`, opts.timeoutMs ?? this.timeoutMs);
  }

  /** The body of `res`, at most `maxBytes` (a RegistryError past it or when it does not arrive in time). */
  async readBody(res: Response, maxBytes: number): Promise<Buffer> {
    const a = this.asked.get(res);
    const what = a ? `registry ${this.baseUrl}: ${a.method} ${a.path}` : `registry ${this.baseUrl}`;
    return readCapped(res, maxBytes, what, a?.timeoutMs ?? this.timeoutMs);
  }

  /** A JSON body of at most `maxBytes` (1 MiB by default). */
  async readJson(res: Response, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
    const raw = await this.readBody(res, maxBytes);
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (err) {
      const a = this.asked.get(res);
      throw new RegistryError(`registry ${this.baseUrl} answered ${res.status}${a ? ` to ${a.method} ${a.path}` : ''} with a body that is not JSON`, {
        url: res.url,
        status: res.status,
        cause: err,
        detail: raw.subarray(0, 200).toString('utf8'),
      });
    }
  }

  private trustedRealm(realm: string): boolean {
    try {
      const u = new URL(realm);
      return (u.protocol === 'http:' || u.protocol === 'https:') && this.tokenServices.has(u.origin);
    } catch {
      return false;
    }
  }

  private authHeader(scope: string): string | undefined {
    if (this.bearerMode) {
      const t = this.tokens.get(scope);
      return t ? `Bearer ${t}` : undefined;
    }
    if (this.auth) return basicHeader(this.auth);
    return undefined;
  }

  private async send(url: string, method: string, path: string, opts: RequestOptions, authorization?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (opts.accept) headers.accept = opts.accept;
    if (authorization) headers.authorization = authorization;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let res: Response;
    try {
      // The same signal bounds the body: a server that sends headers and then trickles is cut too.
      res = await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    } catch (err) {
      throw new RegistryError(`registry ${this.baseUrl} unreachable: ${method} ${path}: ${describeFetchError(err, timeoutMs)}`, { url, cause: err });
    }
    if (isRedirect(res)) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`registry ${this.baseUrl}: ${method} ${path} answered with a redirect (HTTP ${res.status}), which the check does not follow`, {
        url,
        status: res.status,
        detail: `Location: ${res.headers.get('location') ?? ''}`,
      });
    }
    this.asked.set(res, { method, path, timeoutMs });
    return res;
  }

  private async fetchToken(params: Record<string, string>, scope: string): Promise<string> {
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    const wanted = scope || params.scope;
    if (wanted) u.searchParams.set('scope', wanted);
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = basicHeader(this.auth);
    const what = `token service ${u.origin}`;
    let res: Response;
    try {
      res = await fetch(u, { headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'manual' });
    } catch (err) {
      throw new RegistryError(`${what} unreachable: ${describeFetchError(err, this.timeoutMs)}`, { url: u.toString(), cause: err });
    }
    if (isRedirect(res)) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`${what} answered with a redirect (HTTP ${res.status}), which the check does not follow`, { url: u.toString(), status: res.status });
    }
    if (!res.ok) throw await httpError(res, 'GET', 'the token request', what, this.timeoutMs);
    const raw = await readCapped(res, MAX_JSON_BYTES, what, this.timeoutMs);
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`${what} answered ${res.status} with a body that is not JSON`, { url: u.toString(), status: res.status, cause: err, detail: raw.subarray(0, 200).toString('utf8') });
    }
    const token = typeof body?.token === 'string' && body.token ? body.token : body?.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError(`${what} answered without a token`, { url: u.toString(), status: res.status });
    if (token.length > 16 * 1024 || !/^[\x21-\x7e]+$/.test(token)) throw new RegistryError(`${what} answered with a token that cannot be sent in a header`, { url: u.toString(), status: res.status });
    this.tokens.set(scope, token);
    return token;
  }
}

function isRedirect(res: Response): boolean {
  return res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400);
}

/**
 * The path and query of the `Link: <...>; rel="next"` page, or null on the last page. A link
 * that leaves the registry (`baseUrl`'s origin) or the `/v2/` API is not followed (null).
 */
export function nextLink(link: string | null, baseUrl = 'http://x'): string | null {
  if (!link) return null;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!m) return null;
  try {
    const base = new URL(baseUrl);
    const u = new URL(m[1], base);
    if (u.origin !== base.origin || u.username || u.password) return null;
    if (!u.pathname.startsWith('/v2/')) return null;
    return u.pathname + u.search;
  } catch {
    return null;
  }
}
