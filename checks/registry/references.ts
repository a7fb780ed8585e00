/** Names in the distribution API: repositories, tags, digests, and the tag cosign signs under. */
import { createHash } from 'node:crypto';

/** The only digests the client accepts, wherever they come from (its caller, a header, a manifest). */
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** `sha256:` and 64 lowercase hex digits: anything else (other algorithms included) is refused. */
export function isDigest(ref: unknown): ref is string {
  return typeof ref === 'string' && DIGEST_RE.test(ref);
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

export function isRepoName(repo: unknown): repo is string {
  return typeof repo === 'string' && repo.length <= 255 && REPO_RE.test(repo);
}

export function isTag(tag: unknown): tag is string {
  return typeof tag === 'string' && TAG_RE.test(tag);
}

// The messages below do not repeat the value: it may come from the registry (a tag list, the catalog).
export function checkRepo(repo: string): void {
  if (!isRepoName(repo)) throw new Error('RegistryClient: the repository name given is not a valid repository name');
}

export function checkReference(ref: string): void {
  if (!isTag(ref) && !isDigest(ref)) throw new Error('RegistryClient: the reference given is neither a tag nor a sha256 digest');
}
