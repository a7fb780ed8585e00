/**
 * A small client for the OCI distribution API (registry:2 / Docker Registry HTTP API v2),
 * used by labs' checks to grade what really is in a session's registry.
 *
 * - Global fetch, a timeout on every request and its body (AbortSignal.timeout), no redirects.
 * - Basic auth (registry:2 with htpasswd) and the Bearer token flow (401 with
 *   `WWW-Authenticate: Bearer realm=...`) towards the token services named in `tokenServices`
 *   only, tokens cached per scope.
 * - Every answer is hostile input: bodies are read through size caps, digests must be
 *   `sha256:<64 hex>` wherever they come from, and no byte of an answer reaches a message.
 * - Errors are RegistryError with our own sentence: method, our path, HTTP status and the
 *   registry's error code when it is a distribution-spec code; the rest is in `detail` (logs only).
 *
 * The parts live in checks/registry/ (auth, errors, http, manifests, references); labs import
 * everything from here.
 */
import type { RegistryAuth } from './registry/auth.ts';
import { RegistryHttp, nextLink } from './registry/http.ts';
import { RegistryError } from './registry/errors.ts';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, isIndexMediaType, layersSize, pickPlatform, platformsOf, type ManifestResult, type Platform } from './registry/manifests.ts';
import { checkReference, checkRepo, cosignSignatureTag, isDigest, isRepoName, isTag, sha256Digest } from './registry/references.ts';

export { parseWwwAuthenticate, type RegistryAuth } from './registry/auth.ts';
export { RegistryError } from './registry/errors.ts';
export { MEDIA_TYPES, MAX_MANIFEST_BYTES, isIndexMediaType, type ManifestResult, type Platform } from './registry/manifests.ts';
export { MAX_JSON_BYTES } from './registry/http.ts';
export { cosignSignatureTag, isDigest, sha256Digest } from './registry/references.ts';

export interface RegistryClientOptions {
  /** Timeout of one API request (default 5 s). */
  timeoutMs?: number;
  /** Timeout of one blob download (default 60 s). */
  blobTimeoutMs?: number;
  /** Largest blob read (default 512 MiB): a bigger one is a RegistryError. */
  maxBlobBytes?: number;
  /**
   * Origins of the token services a Bearer challenge may send the client to (e.g.
   * `http://10.0.0.5:5001`). None by default: a Bearer challenge is then a RegistryError
   * and its realm is never fetched.
   */
  tokenServices?: string[];
}

/** Default of RegistryClientOptions.maxBlobBytes. */
export const DEFAULT_MAX_BLOB_BYTES = 512 * 1024 * 1024;

/** Media types are echoed in messages only when they look like one. */
function safeMediaType(t: unknown): string {
  return typeof t === 'string' && /^[a-z0-9.+_-]{1,100}\/[a-z0-9.+_-]{1,100}$/i.test(t) ? t : '';
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly http: RegistryHttp;
  private readonly blobTimeoutMs: number;
  private readonly maxBlobBytes: number;

  constructor(baseUrl: string, auth?: RegistryAuth, options: RegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.baseUrl)) throw new Error(`RegistryClient: base URL must start with http:// or https://, got "${baseUrl}"`);
    this.http = new RegistryHttp(this.baseUrl, auth, options.timeoutMs ?? 5_000, { tokenServices: options.tokenServices });
    this.blobTimeoutMs = options.blobTimeoutMs ?? 60_000;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  /** True when `GET /v2/` answers 200 (reachable and, with auth, the credentials work). */
  async ping(): Promise<boolean> {
    try {
      const res = await this.http.request('/v2/', { allow: [401] });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Every repository name (follows `Link` pagination on the same registry); names that are not valid repository names are left out. */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = '/v2/_catalog?n=1000';
    for (let page = 0; path && page < 100; page++) {
      const res = await this.http.request(path);
      const body = (await this.http.readJson(res)) as { repositories?: unknown } | null;
      const names: unknown[] = Array.isArray(body?.repositories) ? body.repositories : [];
      out.push(...names.filter(isRepoName));
      path = nextLink(res.headers.get('link'), this.baseUrl);
    }
    return out;
  }

  /** Tags of a repository; [] when the repository is unknown or has none. Strings that are not valid tags are left out. */
  async listTags(repo: string): Promise<string[]> {
    checkRepo(repo);
    const out: string[] = [];
    let path: string | null = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; path && page < 100; page++) {
      const res = await this.http.request(path, { allow: [404] });
      if (res.status === 404) {
        await res.body?.cancel();
        return out;
      }
      const body = (await this.http.readJson(res)) as { tags?: unknown } | null;
      const tags: unknown[] = Array.isArray(body?.tags) ? body.tags : [];
      out.push(...tags.filter(isTag));
      path = nextLink(res.headers.get('link'), this.baseUrl);
    }
    return out;
  }

  /**
   * A manifest or index by tag or digest; null when the repository or reference is unknown.
   * `digest` is always the sha256 of the bytes received (the `Docker-Content-Digest` header is
   * not trusted); asked by digest, a body with another digest is a RegistryError.
   */
  async getManifest(repo: string, reference: string): Promise<ManifestResult | null> {
    checkRepo(repo);
    checkReference(reference);
    const res = await this.http.request(`/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_ACCEPT, allow: [404] });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const raw = await this.http.readBody(res, MAX_MANIFEST_BYTES);
    const digest = sha256Digest(raw);
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError(`registry returned a manifest for ${repo}@${reference} whose content does not match that digest`, { url: res.url, status: res.status, detail: `computed ${digest}` });
    }
    let json: any;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`registry returned a manifest for ${repo}:${reference} that is not JSON`, { url: res.url, status: res.status, cause: err, detail: raw.subarray(0, 200).toString('utf8') });
    }
    // The Docker-Content-Digest header is not used: when it differs from (or is not) the
    // sha256 of the body, the body wins, so the computed digest is the only one returned.
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const mediaType: string = typeof json?.mediaType === 'string' && json.mediaType ? json.mediaType : contentType;
    return { digest, mediaType, json, raw };
  }

  /**
   * Digest of a manifest without downloading it (HEAD); null when unknown. A missing or
   * malformed `Docker-Content-Digest` header falls back to a GET and the computed digest.
   */
  async headManifest(repo: string, reference: string): Promise<string | null> {
    checkRepo(repo);
    checkReference(reference);
    const res = await this.http.request(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD', accept: MANIFEST_ACCEPT, allow: [404] });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404) return null;
    const d = res.headers.get('docker-content-digest');
    if (isDigest(d)) return d;
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
      const pick = pickPlatform(entries, platform); // only entries with a well-formed sha256 digest
      if (!pick) {
        const have = platformsOf(entries);
        throw new RegistryError(`${repo}:${reference} is an index without ${platform.os}/${platform.architecture} (has: ${have || 'nothing'})`, { url: `${this.baseUrl}/v2/${repo}/manifests/${reference}` });
      }
      m = await this.getManifest(repo, pick.digest);
      if (!m) throw new RegistryError(`${repo}:${reference} is an index whose ${platform.os}/${platform.architecture} manifest ${pick.digest} is missing`, { url: `${this.baseUrl}/v2/${repo}/manifests/${pick.digest}`, status: 404 });
    }
    return m;
  }

  /** A blob's content (at most `maxBlobBytes`); throws (status 404) when it is missing. Verifies its sha256 digest. */
  async getBlob(repo: string, digest: string): Promise<Buffer> {
    checkRepo(repo);
    if (!isDigest(digest)) throw new Error('RegistryClient.getBlob: the digest given is not a digest (sha256:<64 hex>)');
    const res = await this.http.request(`/v2/${repo}/blobs/${digest}`, { timeoutMs: this.blobTimeoutMs });
    const buf = await this.http.readBody(res, this.maxBlobBytes);
    if (sha256Digest(buf) !== digest) {
      throw new RegistryError(`blob ${digest} of ${repo} does not match its digest`, { url: res.url, status: res.status });
    }
    return buf;
  }

  /** The image config (JSON) and its digest for a tag or digest (index resolved for linux/amd64). */
  async getConfig(repo: string, reference: string, platform?: Platform): Promise<{ digest: string; config: any; manifest: ManifestResult } | null> {
    const manifest = await this.resolveImageManifest(repo, reference, platform);
    if (!manifest) return null;
    const digest: unknown = manifest.json?.config?.digest;
    if (digest === undefined || digest === null) {
      throw new RegistryError(`${repo}:${reference} has a manifest without a config (mediaType ${safeMediaType(manifest.mediaType) || 'unknown'})`, { url: `${this.baseUrl}/v2/${repo}/manifests/${reference}` });
    }
    if (!isDigest(digest)) {
      throw new RegistryError(`${repo}:${reference} has a manifest whose config digest is malformed`, { url: `${this.baseUrl}/v2/${repo}/manifests/${reference}`, detail: String(digest) });
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
    return layersSize(manifest);
  }

  /** Deletes a manifest by digest. Returns false when it was already gone (404). */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    checkRepo(repo);
    if (!isDigest(digest)) throw new Error('RegistryClient.deleteManifest: the reference given is not a digest (sha256:<64 hex>; delete by digest, not by tag)');
    const res = await this.http.request(`/v2/${repo}/manifests/${digest}`, { method: 'DELETE', allow: [404] });
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
}
