/**
 * cosign helpers for labs' checks: reading key files, finding the signature
 * artifacts cosign stores next to an image in a registry.
 *
 * cosign 2.x stores a signature as a manifest tagged `sha256-<hex>.sig` in the image's
 * repository; with `--registry-referrers-mode=oci-1-1` against a registry without the
 * referrers API (registry:2) it uses the referrers tag schema instead: an index tagged
 * `sha256-<hex>` whose entries carry the artifactType below.
 */
import { createPublicKey } from 'node:crypto';
import { cosignSignatureTag, type RegistryClient } from './registry-client.ts';
import { msg, type Message } from './messages.ts';

export const COSIGN_SIG_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const COSIGN_SIMPLESIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

export interface PemBlock {
  label: string;
  body: Buffer;
  text: string;
}

export function parsePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    out.push({ label: m[1], body: Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), text: m[0] });
  }
  return out;
}

/** A public key file: `null` when fine, otherwise what is wrong (a message for the learner, checks/messages.*.json). */
export function publicKeyProblem(text: string): Message | null {
  const blocks = parsePem(text);
  const pub = blocks.find((b) => b.label === 'PUBLIC KEY');
  if (!pub) {
    const labels = blocks.map((b) => b.label);
    return labels.length ? msg('cosign.pub-other-block', { labels }) : msg('cosign.pub-no-block');
  }
  try {
    createPublicKey(pub.text);
  } catch {
    return msg('cosign.pub-unreadable');
  }
  return null;
}

/** A cosign private key file: `null` when it is an encrypted cosign key, otherwise what is wrong. */
export function privateKeyProblem(text: string): Message | null {
  const blocks = parsePem(text);
  const enc = blocks.find((b) => b.label === 'ENCRYPTED SIGSTORE PRIVATE KEY' || b.label === 'ENCRYPTED COSIGN PRIVATE KEY');
  if (!enc) {
    const labels = blocks.map((b) => b.label);
    if (labels.some((l) => /PRIVATE KEY/.test(l))) return msg('cosign.key-not-encrypted', { labels });
    return labels.length ? msg('cosign.key-other-block', { labels }) : msg('cosign.key-no-block');
  }
  try {
    const json = JSON.parse(enc.body.toString('utf8')) as { kdf?: unknown; cipher?: unknown; ciphertext?: unknown };
    if (!json.kdf || !json.cipher || typeof json.ciphertext !== 'string') return msg('cosign.key-no-fields');
  } catch {
    return msg('cosign.key-unreadable');
  }
  return null;
}

/** The tags cosign may use for artifacts of `digest`: signature, attestation, SBOM, referrers fallback. */
export function cosignArtifactTags(digest: string): string[] {
  const sig = cosignSignatureTag(digest);
  const base = sig.slice(0, -'.sig'.length);
  return [sig, `${base}.att`, `${base}.sbom`, base];
}

/**
 * Where the registry holds a cosign signature for `digest`: the `.sig` tag, or a referrers
 * fallback index entry with cosign's artifact type. Null when there is none.
 */
export async function findCosignSignature(client: RegistryClient, repo: string, digest: string): Promise<{ tag: string; manifestDigest: string; signatures: number } | null> {
  const [sigTag, , , fallbackTag] = cosignArtifactTags(digest);
  const sig = await client.getManifest(repo, sigTag);
  if (sig) {
    const layers: any[] = Array.isArray(sig.json?.layers) ? sig.json.layers : [];
    const n = layers.filter((l) => l?.mediaType === COSIGN_SIMPLESIGNING_TYPE).length;
    if (n > 0) return { tag: sigTag, manifestDigest: sig.digest, signatures: n };
  }
  const idx = await client.getManifest(repo, fallbackTag);
  if (idx) {
    const entries: any[] = Array.isArray(idx.json?.manifests) ? idx.json.manifests : [];
    const n = entries.filter((e) => e?.artifactType === COSIGN_SIG_ARTIFACT_TYPE).length;
    if (n > 0) return { tag: fallbackTag, manifestDigest: idx.digest, signatures: n };
  }
  return null;
}
