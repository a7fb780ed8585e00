/**
 * Reads an image archive as written by `docker save` (optionally gzip-compressed):
 * the Docker format (`manifest.json` + `<config>.json`/`blobs/...`), the OCI image layout
 * (`oci-layout` + `index.json` + `blobs/<alg>/<hex>`), or both at once (Docker 25+).
 * Config digests are computed from the content, not trusted from file names.
 */
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { sha256Digest, isIndexMediaType } from './registry-client.ts';

export type ImageArchiveProblem =
  /** not a tar at all (or a truncated one) */
  | 'not-tar'
  /** a tar without manifest.json / index.json */
  | 'no-manifest'
  /** manifest.json / index.json present but unreadable */
  | 'bad-manifest'
  /** a blob the manifest names is not in the archive */
  | 'missing-blob';

export class ImageArchiveError extends Error {
  readonly problem: ImageArchiveProblem;
  /** Entry names seen in the tar (first 50), to tell the learner what they archived. */
  readonly entries: string[];
  constructor(problem: ImageArchiveProblem, message: string, entries: string[] = []) {
    super(message);
    this.name = 'ImageArchiveError';
    this.problem = problem;
    this.entries = entries.slice(0, 50);
  }
}

export interface ArchiveImage {
  /** sha256 of the config blob found in the archive. */
  configDigest: string;
  /** Normalized references (`shop/api:dev`), from manifest.json RepoTags and index.json annotations. */
  tags: string[];
  /** Layer entry paths (manifest.json) or digests (OCI). */
  layers: string[];
  from: 'manifest.json' | 'index.json';
}

export interface ImageArchive {
  compressed: boolean;
  hasManifestJson: boolean;
  hasIndexJson: boolean;
  /** Images, merged by config digest (tags from both formats). */
  images: ArchiveImage[];
  entries: string[];
}

/** Files up to this size are kept in memory (configs, manifests); bigger ones (layers) only counted. */
const KEEP_BYTES = 4 * 1024 * 1024;

/**
 * `busybox` → `busybox:latest`, `docker.io/library/busybox:1` → `busybox:1`,
 * `docker.io/shop/api:dev` → `shop/api:dev`; digests kept (`a/b@sha256:...`).
 */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim();
  r = r.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  r = r.replace(/^library\//, '');
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  const lastColon = r.lastIndexOf(':');
  if (lastColon <= lastSlash) r += ':latest';
  return r;
}

async function readTar(buf: Buffer): Promise<{ files: Map<string, Buffer | null>; sizes: Map<string, number>; names: string[] }> {
  const files = new Map<string, Buffer | null>();
  const sizes = new Map<string, number>();
  const names: string[] = [];
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '').replace(/^\/+/, '');
      if (name) names.push(name);
      const chunks: Buffer[] = [];
      let size = 0;
      const keep = header.type === 'file' && (header.size ?? 0) <= KEEP_BYTES;
      stream.on('data', (data: unknown) => {
        const c = data as Buffer;
        size += c.length;
        if (keep) chunks.push(c);
      });
      stream.on('end', () => {
        if (header.type === 'file' || header.type === 'contiguous-file') {
          files.set(name, keep ? Buffer.concat(chunks) : null);
          sizes.set(name, size);
        }
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([buf]).pipe(extract);
  });
  return { files, sizes, names };
}

function parseJson(files: Map<string, Buffer | null>, name: string, names: string[]): any {
  const b = files.get(name);
  if (!b) throw new ImageArchiveError('bad-manifest', `${name} is too large or not a regular file`, names);
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw new ImageArchiveError('bad-manifest', `${name} is not valid JSON`, names);
  }
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

/** Parses an image archive; throws ImageArchiveError (with `problem`) when it is not one. */
export async function parseImageArchive(input: Buffer): Promise<ImageArchive> {
  let buf = input;
  let compressed = false;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
      compressed = true;
    } catch (err) {
      throw new ImageArchiveError('not-tar', `gzip data is corrupt: ${(err as Error).message}`);
    }
  }
  if (buf.length < 512) throw new ImageArchiveError('not-tar', `only ${buf.length} bytes: too short to be a tar archive`);
  let tarData: Awaited<ReturnType<typeof readTar>>;
  try {
    tarData = await readTar(buf);
  } catch (err) {
    throw new ImageArchiveError('not-tar', `not a tar archive: ${(err as Error).message}`);
  }
  const { files, names } = tarData;
  if (names.length === 0) throw new ImageArchiveError('not-tar', 'the tar archive is empty');
  const hasManifestJson = files.has('manifest.json');
  const hasIndexJson = files.has('index.json');
  if (!hasManifestJson && !hasIndexJson) {
    throw new ImageArchiveError('no-manifest', 'a tar archive without manifest.json or index.json: not an image archive', names);
  }

  const byConfig = new Map<string, ArchiveImage>();
  const add = (img: ArchiveImage) => {
    const have = byConfig.get(img.configDigest);
    if (!have) byConfig.set(img.configDigest, img);
    else for (const t of img.tags) if (!have.tags.includes(t)) have.tags.push(t);
  };

  if (hasManifestJson) {
    const list = parseJson(files, 'manifest.json', names);
    if (!Array.isArray(list)) throw new ImageArchiveError('bad-manifest', 'manifest.json is not a list of images', names);
    for (const item of list) {
      const cfgName = typeof item?.Config === 'string' ? item.Config.replace(/^\.\//, '') : '';
      if (!cfgName) throw new ImageArchiveError('bad-manifest', 'manifest.json has an image without "Config"', names);
      const cfg = files.get(cfgName);
      if (!cfg) throw new ImageArchiveError('missing-blob', `manifest.json names config ${cfgName}, which is not in the archive`, names);
      const layers: string[] = Array.isArray(item.Layers) ? item.Layers.filter((l: unknown) => typeof l === 'string') : [];
      for (const l of layers) {
        if (!files.has(l.replace(/^\.\//, ''))) throw new ImageArchiveError('missing-blob', `manifest.json names layer ${l}, which is not in the archive`, names);
      }
      const tags: string[] = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t: unknown) => typeof t === 'string').map(normalizeImageRef) : [];
      add({ configDigest: sha256Digest(cfg), tags, layers, from: 'manifest.json' });
    }
  }

  if (hasIndexJson) {
    const index = parseJson(files, 'index.json', names);
    const visit = (desc: any, inheritedTags: string[], depth: number) => {
      if (depth > 4 || typeof desc?.digest !== 'string') return;
      const tags = [...inheritedTags];
      const ann = desc.annotations ?? {};
      const full = ann['io.containerd.image.name'];
      const refName = ann['org.opencontainers.image.ref.name'];
      if (typeof full === 'string' && full) tags.push(normalizeImageRef(full));
      else if (typeof refName === 'string' && /[/:]/.test(refName)) tags.push(normalizeImageRef(refName));
      const p = blobPath(desc.digest);
      if (!files.has(p)) throw new ImageArchiveError('missing-blob', `index.json names ${desc.digest}, which is not in the archive`, names);
      const json = parseJson(files, p, names);
      const mediaType = json?.mediaType ?? desc.mediaType;
      if (isIndexMediaType(mediaType) || Array.isArray(json?.manifests)) {
        for (const child of json.manifests ?? []) {
          if (child?.platform?.os === 'unknown') continue; // attestations
          visit(child, tags, depth + 1);
        }
        return;
      }
      const cfgDigest = json?.config?.digest;
      if (typeof cfgDigest !== 'string') return;
      const cfg = files.get(blobPath(cfgDigest));
      if (!cfg) throw new ImageArchiveError('missing-blob', `config ${cfgDigest} is not in the archive`, names);
      const layers: string[] = Array.isArray(json.layers) ? json.layers.map((l: any) => l?.digest).filter((d: unknown) => typeof d === 'string') : [];
      for (const d of layers) {
        if (!files.has(blobPath(d))) throw new ImageArchiveError('missing-blob', `layer ${d} is not in the archive`, names);
      }
      add({ configDigest: sha256Digest(cfg), tags, layers, from: 'index.json' });
    };
    if (!Array.isArray(index?.manifests)) throw new ImageArchiveError('bad-manifest', 'index.json has no "manifests" list', names);
    for (const d of index.manifests) visit(d, [], 0);
  }

  return { compressed, hasManifestJson, hasIndexJson, images: [...byConfig.values()], entries: names };
}
