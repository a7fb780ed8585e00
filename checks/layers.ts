/**
 * Reading image layers (tar, optionally gzip/zstd compressed) fetched from a registry:
 * lists the entries of a layer without extracting anything to disk. Used by labs that grade
 * what an image really contains (e.g. `multistage`: no Go toolchain, no sources).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import tar from 'tar-stream';
import { isDigest, RegistryError, type RegistryClient } from './registry-client.ts';

export interface LayerEntry {
  /** Path inside the image, normalised: no leading `./` or `/` (e.g. `usr/local/go/bin/go`). */
  path: string;
  type: string;
  size: number;
  linkname?: string;
}

function decompressor(blob: Buffer): NodeJS.ReadWriteStream | null {
  if (blob.length >= 2 && blob[0] === 0x1f && blob[1] === 0x8b) return zlib.createGunzip();
  if (blob.length >= 4 && blob[0] === 0x28 && blob[1] === 0xb5 && blob[2] === 0x2f && blob[3] === 0xfd) {
    const z = zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream };
    if (!z.createZstdDecompress) throw new Error('zstd-compressed layer: this Node has no zstd support');
    return z.createZstdDecompress();
  }
  return null; // plain tar
}

export function normaliseEntryPath(name: string): string {
  let p = name.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '');
  return p.replace(/\/+$/, '');
}

/**
 * Lists every entry of a layer blob. `onEntry` may return `true` to stop early (the rest of
 * the layer is not read). Returns the entries seen.
 */
export async function listLayerEntries(blob: Buffer, onEntry?: (e: LayerEntry) => boolean | void): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const extract = tar.extract();
  const source = Readable.from([blob]);
  const dec = decompressor(blob);
  let stopped = false;
  const feeding = (dec ? pipeline(source, dec, extract) : pipeline(source, extract)).catch((err) => {
    if (!stopped) throw err;
  });
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const e: LayerEntry = { path: normaliseEntryPath(h.name), type: h.type ?? 'file', size: h.size ?? 0 };
      if (h.linkname) e.linkname = h.linkname;
      entries.push(e);
      entry.resume();
      if (onEntry?.(e) === true) {
        stopped = true;
        extract.destroy();
        break;
      }
    }
  } finally {
    await feeding;
  }
  return entries;
}

/**
 * Downloads and lists the layers of an image manifest (JSON with `layers`), calling
 * `inspect` per layer. Verdicts are cached by layer digest in `cache` when given (layers
 * are content-addressed, so a verdict never goes stale).
 */
export async function scanLayers<T>(
  client: RegistryClient,
  repo: string,
  manifestJson: { layers?: Array<{ digest?: string; mediaType?: string }> },
  inspect: (entries: LayerEntry[], layerDigest: string) => T,
  cache?: Map<string, T> | Record<string, T>,
): Promise<Array<{ digest: string; result: T }>> {
  const out: Array<{ digest: string; result: T }> = [];
  const layers = Array.isArray(manifestJson.layers) ? manifestJson.layers : [];
  for (const layer of layers) {
    const digest = layer?.digest;
    if (!isDigest(digest)) {
      // Refused before use: a malformed digest never reaches a URL, a cache key or a message.
      throw new RegistryError(`${repo} has a manifest with a layer whose digest is malformed`, { url: `${client.baseUrl}/v2/${repo}`, detail: String(digest) });
    }
    const cached = cache instanceof Map ? cache.get(digest) : cache?.[digest];
    if (cached !== undefined) {
      out.push({ digest, result: cached });
      continue;
    }
    const blob = await client.getBlob(repo, digest);
    const entries = await listLayerEntries(blob);
    const result = inspect(entries, digest);
    if (cache instanceof Map) cache.set(digest, result);
    else if (cache) cache[digest] = result;
    out.push({ digest, result });
  }
  return out;
}
