/**
 * Brings a learner's image from the session registry into the host engine under a tag the runner
 * chose, without a tool in between: the runner reads the manifest, the config and the layers from
 * the registry (its own address, registry-netns.ts) and writes the `docker load` archive itself,
 * so the archive's `RepoTags` is ours and every blob is checked against its digest on the way.
 * The registry's content is the learner's: every field is checked, every size and time bounded.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { readBounded } from '../sandbox/bounded-body.ts';
import { probeMessage as msg, type ProbeMessage as Message } from '../../../checks/sandbox.ts';

const DIGEST = /^sha256:([a-f0-9]{64})$/;
const MANIFEST_MAX = 4 * 1024 * 1024;
const CONFIG_MAX = 8 * 1024 * 1024;
/** The multistage lab's heaviest wrong answer is a 300 MB image: room for it, not for a disk fill. */
export const IMAGE_MAX_BYTES = 2 * 1024 ** 3;
const MAX_LAYERS = 128;
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
]);

/** A failure the learner may read: our own sentence, never the registry's words. */
/** What the learner can fix about their image: a check message (checks/messages.*.json, keys probe.*). */
export class ImageLoadError extends Error {
  readonly learnerMessage: Message;
  constructor(key: string, params?: Record<string, string | number | Message>) {
    super(key);
    this.name = 'ImageLoadError';
    this.learnerMessage = msg(key, params);
  }
}

interface Descriptor {
  digest: string;
  size: number;
  mediaType?: string;
}

export interface LoadSource {
  /** `http://<registry address>:<port>` */
  baseUrl: string;
  repo: string;
  /** A tag or a sha256 digest. */
  reference: string;
  timeoutMs: number;
}

function descriptor(d: unknown, what: Message): Descriptor {
  const o = d as { digest?: unknown; size?: unknown; mediaType?: unknown } | null;
  if (!o || typeof o.digest !== 'string' || !DIGEST.test(o.digest) || typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new ImageLoadError('probe.bad-descriptor', { what });
  }
  return { digest: o.digest, size: o.size, mediaType: typeof o.mediaType === 'string' ? o.mediaType : undefined };
}

async function get(url: string, accept: string | undefined, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: accept ? { accept } : {}, redirect: 'manual', signal });
  } catch {
    throw new ImageLoadError('probe.registry-timeout');
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw res.status === 404 ? new ImageLoadError('probe.no-image') : new ImageLoadError('probe.registry-status', { status: res.status });
  }
  return res;
}

/** A document of the registry's (manifest, config), refused past `max` bytes. */
async function readDocument(res: Response, max: number): Promise<Buffer> {
  const body = await readBounded(res, max);
  if (!body) throw new ImageLoadError('probe.too-large', { mb: Math.round(max / 1024 / 1024) });
  return body;
}

function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

async function manifestFor(src: LoadSource, signal: AbortSignal): Promise<{ config: Descriptor; layers: Descriptor[] }> {
  let reference = src.reference;
  for (let depth = 0; depth < 3; depth++) {
    const raw = await readDocument(await get(`${src.baseUrl}/v2/${src.repo}/manifests/${reference}`, ACCEPT, signal), MANIFEST_MAX);
    if (DIGEST.test(reference) && sha256(raw) !== reference) throw new ImageLoadError('probe.manifest-digest');
    let json: any;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ImageLoadError('probe.manifest-not-json');
    }
    if (Array.isArray(json?.manifests)) {
      const entry = json.manifests.find((m: any) => m?.platform?.os === 'linux' && m?.platform?.architecture === 'amd64' && !m?.platform?.variant) ??
        json.manifests.find((m: any) => m?.platform?.os === 'linux' && m?.platform?.architecture === 'amd64');
      if (!entry) throw new ImageLoadError('probe.no-amd64');
      reference = descriptor(entry, msg('probe.what-index-entry')).digest;
      continue;
    }
    const config = descriptor(json?.config, msg('probe.what-config'));
    if (!Array.isArray(json?.layers) || json.layers.length === 0 || json.layers.length > MAX_LAYERS) {
      throw new ImageLoadError('probe.layer-count', { max: MAX_LAYERS });
    }
    const layers = json.layers.map((l: unknown, i: number) => descriptor(l, msg('probe.what-layer', { n: i + 1 })));
    for (const l of layers) {
      if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) throw new ImageLoadError('probe.layer-type');
    }
    const total = layers.reduce((s: number, l: Descriptor) => s + l.size, config.size);
    if (total > IMAGE_MAX_BYTES) throw new ImageLoadError('probe.image-too-large', { gb: IMAGE_MAX_BYTES / 1024 ** 3 });
    return { config, layers };
  }
  throw new ImageLoadError('probe.index-depth');
}

/** Streams one blob into the archive, checking its size and digest; throws on any mismatch. */
async function copyBlob(src: LoadSource, d: Descriptor, archive: ReturnType<typeof pack>, name: string, signal: AbortSignal): Promise<void> {
  const res = await get(`${src.baseUrl}/v2/${src.repo}/blobs/${d.digest}`, undefined, signal);
  const hash = createHash('sha256');
  let size = 0;
  const entry = archive.entry({ name, size: d.size, mode: 0o644 });
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += c.length;
    if (size > d.size) break;
    hash.update(c);
    if (!entry.write(Buffer.from(c))) await once(entry, 'drain');
  }
  if (size !== d.size || 'sha256:' + hash.digest('hex') !== d.digest) {
    await res.body?.cancel().catch(() => undefined);
    throw new ImageLoadError('probe.layer-digest');
  }
  await new Promise<void>((resolve, reject) => entry.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Loads the image as `tag` (the runner's own name); throws ImageLoadError for what the learner can fix. */
export async function loadImageFromRegistry(docker: Docker, src: LoadSource, tag: string): Promise<void> {
  const signal = AbortSignal.timeout(src.timeoutMs);
  const { config, layers } = await manifestFor(src, signal);
  const configRaw = await readDocument(await get(`${src.baseUrl}/v2/${src.repo}/blobs/${config.digest}`, undefined, signal), CONFIG_MAX);
  if (sha256(configRaw) !== config.digest) throw new ImageLoadError('probe.config-digest');
  const hex = (d: string) => d.slice('sha256:'.length);
  const archive = pack();
  const loading = new Promise<void>((resolve, reject) => {
    docker.loadImage(archive as unknown as Readable, { quiet: true }, (err: Error | null, res?: NodeJS.ReadableStream) => {
      if (err || !res) return reject(err ?? new Error('docker load gave no answer'));
      let text = '';
      res.on('data', (c: Buffer) => (text = (text + c.toString('utf8')).slice(-4096)));
      res.on('end', () => (/"error(Detail)?"/.test(text) ? reject(new ImageLoadError('probe.docker-load')) : resolve()));
      res.on('error', reject);
    });
  });
  loading.catch(() => undefined);
  try {
    const manifest = [{ Config: `${hex(config.digest)}.json`, RepoTags: [tag], Layers: layers.map((l) => `${hex(l.digest)}.tar`) }];
    archive.entry({ name: 'manifest.json', mode: 0o644 }, JSON.stringify(manifest));
    archive.entry({ name: `${hex(config.digest)}.json`, mode: 0o644 }, configRaw);
    const written = new Set<string>();
    for (const l of layers) {
      if (written.has(l.digest)) continue;
      written.add(l.digest);
      await copyBlob(src, l, archive, `${hex(l.digest)}.tar`, signal);
    }
    archive.finalize();
  } catch (err) {
    archive.destroy(err as Error);
    await loading.catch(() => undefined);
    if (err instanceof ImageLoadError) throw err;
    throw new ImageLoadError(signal.aborted ? 'probe.fetch-timeout' : 'probe.fetch-failed');
  }
  await loading;
}
