/** Manifests and indexes as the client returns them: media types, platforms, sizes. */
import { isDigest } from './references.ts';

/** A manifest or index is read up to this size (registry:2's own limit for a manifest). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

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

/** The Accept header of a manifest request: every kind the labs can meet. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
].join(', ');

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

/** A platform field of an index entry for a message: short and plain, or `?`. */
function platformWord(v: unknown): string {
  return typeof v === 'string' && /^[a-z0-9_.-]{1,32}$/i.test(v) ? v : '?';
}

/** The index entry for `p` (attestation manifests are not images); without a variant asked, one without a variant first. */
export function pickPlatform(entries: any[], p: Platform): { digest: string } | undefined {
  const candidates = entries.filter(
    (e) => isDigest(e?.digest) && e.platform?.os === p.os && e.platform?.architecture === p.architecture &&
      e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (p.variant) return candidates.find((e) => e.platform.variant === p.variant) ?? candidates[0];
  return candidates.find((e) => !e.platform.variant) ?? candidates[0];
}

/** `os/arch[/variant]` of every entry of an index, for a message. */
export function platformsOf(entries: any[]): string {
  const shown = entries.slice(0, 10).map((e) => (e?.platform ? `${platformWord(e.platform.os)}/${platformWord(e.platform.architecture)}${e.platform.variant ? '/' + platformWord(e.platform.variant) : ''}` : '?'));
  return shown.join(', ') + (entries.length > 10 ? ', …' : '');
}

/** Sum of the compressed layer sizes of an image manifest (a ManifestResult or its JSON). */
export function layersSize(manifest: ManifestResult | { layers?: Array<{ size?: number }> }): number {
  const json: any = 'raw' in manifest && 'json' in manifest ? (manifest as ManifestResult).json : manifest;
  const layers: any[] = Array.isArray(json?.layers) ? json.layers : [];
  return layers.reduce((sum, l) => sum + (typeof l?.size === 'number' && Number.isFinite(l.size) && l.size > 0 ? l.size : 0), 0);
}
