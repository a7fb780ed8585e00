/**
 * Requests to one registry: a timeout on every request (AbortSignal.timeout), Basic auth
 * (registry:2 with htpasswd) or the Bearer token flow (401 with `WWW-Authenticate: Bearer
 * realm=...`) with tokens cached per scope, and RegistryError for every failure.
 */
import { basicHeader, parseWwwAuthenticate, scopeFor, type RegistryAuth } from './auth.ts';
import { describeFetchError, httpError, RegistryError } from './errors.ts';

export interface RequestOptions {
  method?: string;
  accept?: string;
  timeoutMs?: number;
  /** Statuses returned to the caller instead of thrown (besides 2xx). */
  allow?: number[];
}

export class RegistryHttp {
  private readonly baseUrl: string;
  private readonly auth?: RegistryAuth;
  private readonly timeoutMs: number;
  /** Bearer tokens by scope ('' = no scope). */
  private readonly tokens = new Map<string, string>();
  /** Whether the registry asked for Bearer (then Basic is not sent to it directly). */
  private bearerMode = false;

  /** `baseUrl` without a trailing slash; `timeoutMs` bounds a request unless it names its own. */
  constructor(baseUrl: string, auth: RegistryAuth | undefined, timeoutMs: number) {
    this.baseUrl = baseUrl;
    this.auth = auth;
    this.timeoutMs = timeoutMs;
  }

  async request(path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.baseUrl + path;
    const method = opts.method ?? 'GET';
    const scope = scopeFor(path, method);
    let res = await this.send(url, method, opts, this.authHeader(scope));
    if (res.status === 401) {
      const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
      await res.body?.cancel();
      if (challenge.scheme === 'bearer' && challenge.params.realm) {
        this.bearerMode = true;
        const token = await this.fetchToken(challenge.params, scope);
        res = await this.send(url, method, opts, `Bearer ${token}`);
      } else if (challenge.scheme === 'basic' && !this.auth) {
        if (opts.allow?.includes(401)) return res;
        throw new RegistryError(`registry ${this.baseUrl} requires a login (HTTP 401 on ${method} ${path}) and no credentials were given`, { url, status: 401, code: 'UNAUTHORIZED' });
      }
    }
    if (res.ok || opts.allow?.includes(res.status)) return res;
    throw await httpError(res, method, path, `registry ${this.baseUrl}`);
  }

  async readJson(res: Response): Promise<unknown> {
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RegistryError(`registry ${this.baseUrl} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, { url: res.url, status: res.status, cause: err });
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

  private async send(url: string, method: string, opts: RequestOptions, authorization?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (opts.accept) headers.accept = opts.accept;
    if (authorization) headers.authorization = authorization;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    try {
      return await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    } catch (err) {
      throw new RegistryError(`registry ${this.baseUrl} unreachable: ${method} ${url.slice(this.baseUrl.length)}: ${describeFetchError(err, timeoutMs)}`, { url, cause: err });
    }
  }

  private async fetchToken(params: Record<string, string>, scope: string): Promise<string> {
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    const wanted = scope || params.scope;
    if (wanted) u.searchParams.set('scope', wanted);
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = basicHeader(this.auth);
    let res: Response;
    try {
      res = await fetch(u, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new RegistryError(`token service ${u.origin} unreachable: ${describeFetchError(err, this.timeoutMs)}`, { url: u.toString(), cause: err });
    }
    if (!res.ok) throw await httpError(res, 'GET', u.pathname, 'token service');
    const body = (await this.readJson(res)) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token service ${u.origin} answered without a token`, { url: u.toString(), status: res.status });
    this.tokens.set(scope, token);
    return token;
  }
}

/** The path and query of the `Link: <...>; rel="next"` page, or null on the last page. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!m) return null;
  try {
    const u = new URL(m[1], 'http://x');
    return u.pathname + u.search;
  } catch {
    return null;
  }
}
