/**
 * A small client for the OCI distribution API (registry:2 / Docker Registry HTTP API v2),
 * used by labs' checks to grade what really is in a session's registry.
 *
 * - Global fetch, a timeout on every request (AbortSignal.timeout).
 * - Basic auth (registry:2 with htpasswd) and the Bearer token flow (401 with
 *   `WWW-Authenticate: Bearer realm=...`), tokens cached per scope.
 * - Errors are RegistryError with the method, URL, HTTP status and the registry's error code.
 *
 * The parts live in checks/registry/ (auth, errors, http, manifests, references); labs import
 * everything from here.
 */
import type { RegistryAuth } from './registry/auth.ts';
import { RegistryHttp, nextLink } from './registry/http.ts';
import { RegistryError } from './registry/errors.ts';
import { MANIFEST_ACCEPT, isIndexMediaType, layersSize, pickPlatform, platformsOf, type ManifestResult, type Platform } from './registry/manifests.ts';
import { checkReference, checkRepo, cosignSignatureTag, isDigest, sha256Digest } from './registry/references.ts';

export { parseWwwAuthenticate, type RegistryAuth } from './registry/auth.ts';
export { RegistryError } from './registry/errors.ts';
export { MEDIA_TYPES, isIndexMediaType, type ManifestResult, type Platform } from './registry/manifests.ts';
export { cosignSignatureTag, isDigest, sha256Digest } from './registry/references.ts';

export interface RegistryClientOptions {
  /** Timeout of one API request (default 5 s). */
  timeoutMs?: number;
  /** Timeout of one blob download (default 60 s). */
  blobTimeoutMs?: number;
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly http: RegistryHttp;
  private readonly blobTimeoutMs: number;

  constructor(baseUrl: string, auth?: RegistryAuth, options: RegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.baseUrl)) throw new Error(`RegistryClient: base URL must start with http:// or https://, got "${baseUrl}"`);
    this.http = new RegistryHttp(this.baseUrl, auth, options.timeoutMs ?? 5_000);
    this.blobTimeoutMs = options.blobTimeoutMs ?? 60_000;
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

  /** Every repository name (follows `Link` pagination). */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = '/v2/_catalog?n=1000';
    for (let page = 0; path && page < 100; page++) {
      const res = await this.http.request(path);
      const body = (await this.http.readJson(res)) as { repositories?: string[] | null };
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
      const res = await this.http.request(path, { allow: [404] });
      if (res.status === 404) {
        await res.body?.cancel();
        return out;
      }
      const body = (await this.http.readJson(res)) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** A manifest or index by tag or digest; null when the repository or reference is unknown. */
  async getManifest(repo: string, reference: string): Promise<ManifestResult | null> {
    checkRepo(repo);
    checkReference(reference);
    const res = await this.http.request(`/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_ACCEPT, allow: [404] });
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
    const res = await this.http.request(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD', accept: MANIFEST_ACCEPT, allow: [404] });
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
        const have = platformsOf(entries);
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
    const res = await this.http.request(`/v2/${repo}/blobs/${digest}`, { timeoutMs: this.blobTimeoutMs });
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
    return layersSize(manifest);
  }

  /** Deletes a manifest by digest. Returns false when it was already gone (404). */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    checkRepo(repo);
    if (!isDigest(digest)) throw new Error(`RegistryClient.deleteManifest: "${digest}" is not a digest (delete by digest, not by tag)`);
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
