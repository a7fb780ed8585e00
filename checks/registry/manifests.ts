/** Manifests and indexes as the client returns them: media types, platforms, sizes. */

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

/** The index entry for `p` (attestation manifests are not images); without a variant asked, one without a variant first. */
export function pickPlatform(entries: any[], p: Platform): { digest: string } | undefined {
  const candidates = entries.filter(
    (e) => typeof e?.digest === 'string' && e.platform?.os === p.os && e.platform?.architecture === p.architecture &&
      e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (p.variant) return candidates.find((e) => e.platform.variant === p.variant) ?? candidates[0];
  return candidates.find((e) => !e.platform.variant) ?? candidates[0];
}

/** `os/arch[/variant]` of every entry of an index, for a message. */
export function platformsOf(entries: any[]): string {
  return entries.map((e) => (e.platform ? `${e.platform.os}/${e.platform.architecture}${e.platform.variant ? '/' + e.platform.variant : ''}` : '?')).join(', ');
}

/** Sum of the compressed layer sizes of an image manifest (a ManifestResult or its JSON). */
export function layersSize(manifest: ManifestResult | { layers?: Array<{ size?: number }> }): number {
  const json: any = 'raw' in manifest && 'json' in manifest ? (manifest as ManifestResult).json : manifest;
  const layers: any[] = Array.isArray(json?.layers) ? json.layers : [];
  return layers.reduce((sum, l) => sum + (typeof l?.size === 'number' ? l.size : 0), 0);
}
