/**
 * A small client for the OCI distribution API (registry:2 / Docker Registry HTTP API v2),
 * used by labs' checks to grade what really is in a session's registry.
 *
 * - Global fetch, a timeout on every request (AbortSignal.timeout).
 * - Basic auth (registry:2 with htpasswd) and the Bearer token flow (401 with
 *   `WWW-Authenticate: Bearer realm=...`), tokens cached per scope.
 * - Errors are RegistryError with the method, URL, HTTP status and the registry's error code.
 */
import { createHash } from 'node:crypto';

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  /** Timeout of one API request (default 5 s). */
  timeoutMs?: number;
  /** Timeout of one blob download (default 60 s). */
  blobTimeoutMs?: number;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ManifestResult {
  digest: string;
  mediaType: string;
  json: any;
  raw: Buffer;
}

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
].join(', ');

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

export class RegistryError extends Error {
  /** HTTP status, when the registry answered. */
  readonly status?: number;
  /** First error code of the registry's JSON error body (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`...). */
  readonly code?: string;
  readonly url: string;
  constructor(message: string, opts: { url: string; status?: number; code?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
    this.url = opts.url;
    this.status = opts.status;
    this.code = opts.code;
  }
}

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function isDigest(ref: string): boolean {
  return DIGEST_RE.test(ref);
}

export function sha256Digest(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Parses `Bearer realm="...",service="...",scope="..."` (or `Basic realm=...`). */
export function parseWwwAuthenticate(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1].toLowerCase(), params };
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = e?.cause as { code?: string; message?: string; errors?: Array<{ code?: string; message?: string }> } | undefined;
  const inner = cause?.code ? cause : cause?.errors?.find((x) => x?.code) ?? cause;
  if (inner?.code) return `${inner.code}${inner.message ? ` (${inner.message})` : ''}`;
  if (inner?.message) return inner.message;
  return e?.message ?? String(err);
}

interface RequestOptions {
  method?: string;
  accept?: string;
  timeoutMs?: number;
  /** Statuses returned to the caller instead of thrown (besides 2xx). */
  allow?: number[];
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly auth?: RegistryAuth;
  private readonly timeoutMs: number;
  private readonly blobTimeoutMs: number;
  /** Bearer tokens by scope ('' = no scope). */
  private readonly tokens = new Map<string, string>();
  /** Whether the registry asked for Bearer (then Basic is not sent to it directly). */
  private bearerMode = false;

  constructor(baseUrl: string, auth?: RegistryAuth, options: RegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.baseUrl)) throw new Error(`RegistryClient: base URL must start with http:// or https://, got "${baseUrl}"`);
    this.auth = auth;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.blobTimeoutMs = options.blobTimeoutMs ?? 60_000;
  }

  // ---------------------------------------------------------------- API

  /** True when `GET /v2/` answers 200 (reachable and, with auth, the credentials work). */
  async ping(): Promise<boolean> {
    try {
      const res = await this.request('/v2/', { allow: [401] });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Every repository name (follows `Link` pagination). */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = '/v2/_catalog?n=1000';
    for (let page = 0; path && page < 100; page++) {
      const res = await this.request(path);
      const body = (await this.readJson(res)) as { repositories?: string[] | null };
      out.push(...(body.repositories ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** Tags of a repository; [] when the repository is unknown or has none. */
  async listTags(repo: string): Promise<string[]> {
    checkRepo(repo);
    const out: string[] = [];
    let path: string | null = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; path && page < 100; page++) {
      const res = await this.request(path, { allow: [404] });
      if (res.status === 404) {
        await res.body?.cancel();
        return out;
      }
      const body = (await this.readJson(res)) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** A manifest or index by tag or digest; null when the repository or reference is unknown. */
  async getManifest(repo: string, reference: string): Promise<ManifestResult | null> {
    checkRepo(repo);
    checkReference(reference);
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_ACCEPT, allow: [404] });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const raw = Buffer.from(await res.arrayBuffer());
    let json: any;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`registry returned a manifest for ${repo}:${reference} that is not JSON`, { url: res.url, status: res.status, cause: err });
    }
    const digest = res.headers.get('docker-content-digest') || sha256Digest(raw);
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const mediaType: string = typeof json?.mediaType === 'string' && json.mediaType ? json.mediaType : contentType;
    return { digest, mediaType, json, raw };
  }

  /** Digest of a manifest without downloading it (HEAD); null when unknown. */
  async headManifest(repo: string, reference: string): Promise<string | null> {
    checkRepo(repo);
    checkReference(reference);
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD', accept: MANIFEST_ACCEPT, allow: [404] });
    if (res.status === 404) return null;
    const d = res.headers.get('docker-content-digest');
    if (d) return d;
    return (await this.getManifest(repo, reference))?.digest ?? null;
  }

  /**
   * The image manifest for `platform`: the manifest itself when `reference` names an image
   * manifest, or the platform's entry when it names an index / manifest list. Null when the
   * reference is unknown; throws when an index has no entry for the platform.
   */
  async resolveImageManifest(repo: string, reference: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ManifestResult | null> {
    let m = await this.getManifest(repo, reference);
    for (let depth = 0; m && isIndexMediaType(m.mediaType) && depth < 4; depth++) {
      const entries: any[] = Array.isArray(m.json?.manifests) ? m.json.manifests : [];
      const pick = pickPlatform(entries, platform);
      if (!pick) {
        const have = entries.map((e) => (e.platform ? `${e.platform.os}/${e.platform.architecture}${e.platform.variant ? '/' + e.platform.variant : ''}` : '?')).join(', ');
        throw new RegistryError(`${repo}:${reference} is an index without ${platform.os}/${platform.architecture} (has: ${have || 'nothing'})`, { url: `${this.baseUrl}/v2/${repo}/manifests/${reference}` });
      }
      m = await this.getManifest(repo, pick.digest);
      if (!m) throw new RegistryError(`${repo}:${reference} is an index whose ${platform.os}/${platform.architecture} manifest ${pick.digest} is missing`, { url: `${this.baseUrl}/v2/${repo}/manifests/${pick.digest}`, status: 404 });
    }
    return m;
  }

  /** A blob's content; throws (status 404) when it is missing. Verifies sha256 digests. */
  async getBlob(repo: string, digest: string): Promise<Buffer> {
    checkRepo(repo);
    if (!isDigest(digest)) throw new Error(`RegistryClient.getBlob: "${digest}" is not a digest`);
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, { timeoutMs: this.blobTimeoutMs });
    const buf = Buffer.from(await res.arrayBuffer());
    if (digest.startsWith('sha256:') && sha256Digest(buf) !== digest) {
      throw new RegistryError(`blob ${digest} of ${repo} does not match its digest`, { url: res.url, status: res.status });
    }
    return buf;
  }

  /** The image config (JSON) and its digest for a tag or digest (index resolved for linux/amd64). */
  async getConfig(repo: string, reference: string, platform?: Platform): Promise<{ digest: string; config: any; manifest: ManifestResult } | null> {
    const manifest = await this.resolveImageManifest(repo, reference, platform);
    if (!manifest) return null;
    const digest: unknown = manifest.json?.config?.digest;
    if (typeof digest !== 'string') {
      throw new RegistryError(`${repo}:${reference} has a manifest without a config (mediaType ${manifest.mediaType || 'unknown'})`, { url: `${this.baseUrl}/v2/${repo}/manifests/${reference}` });
    }
    const blob = await this.getBlob(repo, digest);
    let config: any;
    try {
      config = JSON.parse(blob.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`config ${digest} of ${repo}:${reference} is not JSON`, { url: `${this.baseUrl}/v2/${repo}/blobs/${digest}`, cause: err });
    }
    return { digest, config, manifest };
  }

  /** Sum of the compressed layer sizes of an image manifest (a ManifestResult or its JSON). */
  layersSize(manifest: ManifestResult | { layers?: Array<{ size?: number }> }): number {
    const json: any = 'raw' in manifest && 'json' in manifest ? (manifest as ManifestResult).json : manifest;
    const layers: any[] = Array.isArray(json?.layers) ? json.layers : [];
    return layers.reduce((sum, l) => sum + (typeof l?.size === 'number' ? l.size : 0), 0);
  }

  /** Deletes a manifest by digest. Returns false when it was already gone (404). */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    checkRepo(repo);
    if (!isDigest(digest)) throw new Error(`RegistryClient.deleteManifest: "${digest}" is not a digest (delete by digest, not by tag)`);
    const res = await this.request(`/v2/${repo}/manifests/${digest}`, { method: 'DELETE', allow: [404] });
    await res.body?.cancel();
    return res.status !== 404;
  }

  /**
   * Deletes every manifest a tag of `repo` points at (resets a lab's repository). Unknown
   * repository / already deleted manifests are ignored. Returns the digests deleted.
   */
  async deleteRepository(repo: string): Promise<string[]> {
    const deleted: string[] = [];
    // Deleting a manifest also untags every tag pointing at it; loop in case of a concurrent push.
    for (let round = 0; round < 3; round++) {
      const tags = await this.listTags(repo);
      if (tags.length === 0) break;
      const digests = new Set<string>();
      for (const tag of tags) {
        const d = await this.headManifest(repo, tag);
        if (d) digests.add(d);
      }
      if (digests.size === 0) break;
      for (const d of digests) {
        if (await this.deleteManifest(repo, d)) deleted.push(d);
      }
    }
    return deleted;
  }

  /** The tag cosign stores a signature under: `sha256:abc…` → `sha256-abc….sig`. */
  cosignSignatureTag(digest: string): string {
    return cosignSignatureTag(digest);
  }

  // ---------------------------------------------------------------- HTTP

  private async request(path: string, opts: RequestOptions = {}): Promise<Response> {
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
    throw await this.httpError(res, method, path);
  }

  private authHeader(scope: string): string | undefined {
    if (this.bearerMode) {
      const t = this.tokens.get(scope);
      return t ? `Bearer ${t}` : undefined;
    }
    if (this.auth) return 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
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
    if (this.auth) headers.authorization = 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(u, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new RegistryError(`token service ${u.origin} unreachable: ${describeFetchError(err, this.timeoutMs)}`, { url: u.toString(), cause: err });
    }
    if (!res.ok) throw await this.httpError(res, 'GET', u.pathname, 'token service');
    const body = (await this.readJson(res)) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token service ${u.origin} answered without a token`, { url: u.toString(), status: res.status });
    this.tokens.set(scope, token);
    return token;
  }

  private async readJson(res: Response): Promise<unknown> {
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RegistryError(`registry ${this.baseUrl} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, { url: res.url, status: res.status, cause: err });
    }
  }

  private async httpError(res: Response, method: string, path: string, what = `registry ${this.baseUrl}`): Promise<RegistryError> {
    let code: string | undefined;
    let detail = '';
    try {
      const text = method === 'HEAD' ? '' : await res.text();
      try {
        const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
        const first = body.errors?.[0];
        if (first) {
          code = first.code;
          detail = `${first.code ?? ''}${first.message ? ': ' + first.message : ''}`;
        }
      } catch {
        detail = text.slice(0, 200);
      }
    } catch {
      /* body unreadable */
    }
    const hint = res.status === 401 ? ' (wrong or missing credentials)' : res.status === 405 && method === 'DELETE' ? ' (deletion is disabled on this registry)' : '';
    return new RegistryError(`${what}: ${method} ${path} answered HTTP ${res.status}${hint}${detail ? ` — ${detail}` : ''}`, { url: res.url, status: res.status, code });
  }
}

/** The tag cosign stores a signature under: `sha256:abc…` → `sha256-abc….sig`. */
export function cosignSignatureTag(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!m) throw new Error(`cosignSignatureTag: "${digest}" is not a digest like sha256:<hex>`);
  return `${m[1]}-${m[2]}.sig`;
}

function pickPlatform(entries: any[], p: Platform): { digest: string } | undefined {
  const candidates = entries.filter(
    (e) => typeof e?.digest === 'string' && e.platform?.os === p.os && e.platform?.architecture === p.architecture &&
      e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (p.variant) return candidates.find((e) => e.platform.variant === p.variant) ?? candidates[0];
  return candidates.find((e) => !e.platform.variant) ?? candidates[0];
}

function scopeFor(path: string, method: string): string {
  if (path.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
  if (!m) return '';
  const actions = method === 'DELETE' ? 'delete' : method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  return `repository:${m[1]}:${actions}`;
}

function nextLink(link: string | null): string | null {
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

function checkRepo(repo: string): void {
  if (!REPO_RE.test(repo)) throw new Error(`RegistryClient: "${repo}" is not a valid repository name`);
}

function checkReference(ref: string): void {
  if (!TAG_RE.test(ref) && !isDigest(ref)) throw new Error(`RegistryClient: "${ref}" is neither a tag nor a digest`);
}
