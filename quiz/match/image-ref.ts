/**
 * Canonical form of an image reference: `nginx` → `docker.io/library/nginx:latest`.
 * Digests are kept; a reference that only has a digest gets no `:latest`.
 */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim();
  if (!r || r.startsWith('-') || r === '.' || r.includes('://')) return r;
  let digest = '';
  const at = r.indexOf('@');
  if (at >= 0) {
    digest = r.slice(at);
    r = r.slice(0, at);
  }
  const parts = r.split('/');
  let registry = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = parts.shift()!;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  let path = parts.join('/');
  const lastSlash = path.lastIndexOf('/');
  const colon = path.indexOf(':', lastSlash + 1);
  let tag = '';
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!tag && !digest) tag = 'latest';
  return `${registry}/${path.toLowerCase()}${tag ? `:${tag}` : ''}${digest}`;
}

