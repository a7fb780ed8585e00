/** Names in the distribution API: repositories, tags, digests, and the tag cosign signs under. */
import { createHash } from 'node:crypto';

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function isDigest(ref: string): boolean {
  return DIGEST_RE.test(ref);
}

export function sha256Digest(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The tag cosign stores a signature under: `sha256:abc…` → `sha256-abc….sig`. */
export function cosignSignatureTag(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!m) throw new Error(`cosignSignatureTag: "${digest}" is not a digest like sha256:<hex>`);
  return `${m[1]}-${m[2]}.sig`;
}

export function checkRepo(repo: string): void {
  if (!REPO_RE.test(repo)) throw new Error(`RegistryClient: "${repo}" is not a valid repository name`);
}

export function checkReference(ref: string): void {
  if (!TAG_RE.test(ref) && !isDigest(ref)) throw new Error(`RegistryClient: "${ref}" is neither a tag nor a digest`);
}
