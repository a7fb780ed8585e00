import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { dropLabTags, fail, msg, once, pass, sessionRegistry, shortDigest, type Message } from '../../checks/lab-helpers.ts';
import { isDigest, RegistryClient } from '../../checks/registry-client.ts';
import { findCosignSignature, privateKeyProblem, publicKeyProblem } from '../../checks/cosign.ts';

const REPO = 'shop/api';
const TAG = '1.4.2';
const IMAGE = `localhost:5000/${REPO}`;

function sigTagOf(digest: string): string {
  return digest.replace(':', '-').slice(0, 19) + '….sig';
}

/** cosign's last line, as a message may show it: printable characters only, 200 at most (it can quote registry content). */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/[^\x20-\x7e\u0400-\u04ff]/g, '').trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 200);
}

/** Tags cosign writes next to an image: `sha256-<hex>.sig|.att|.sbom` and the referrers fallback `sha256-<hex>`. */
function isCosignTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/.test(tag);
}

interface Graded {
  emptyPassword: boolean;
  verifyExit: number;
  verifyErr: string;
}

/**
 * The grader script and its environment. The script is fixed text: the image reference
 * travels as data in `IMAGE_REF` (never spliced into the script), so nothing the registry
 * answered can become shell code. `imageRef` null = no verification.
 */
export function graderJob(probeKey: boolean, imageRef: string | null): { script: string; env: Record<string, string> } {
  const script = [
    probeKey ? '(COSIGN_PASSWORD= cosign public-key --key cosign.key </dev/null >/dev/null 2>&1 && echo yes || echo no) >empty.out &' : '',
    imageRef !== null
      ? 'cosign verify --key cosign.pub --allow-insecure-registry --insecure-ignore-tlog --output json "$IMAGE_REF" </dev/null >verify.out 2>verify.err; echo VERIFY_EXIT=$?; tail -n 3 verify.err'
      : '',
    probeKey ? 'wait; echo EMPTY_PASSWORD=$(cat empty.out)' : '',
  ];
  return { script: script.filter(Boolean).join('\n'), env: imageRef !== null ? { IMAGE_REF: imageRef } : {} };
}

/** One grader run does both cosign jobs: the empty-password probe of the key and the verification. */
export async function grade(ctx: LabContext, key: string | null, pub: string | null, digest: string | null): Promise<Graded> {
  const probeKey = !!key && !privateKeyProblem(key);
  // The client only returns sha256 digests; checked again here, as the value goes to cosign.
  const verify = !!pub && isDigest(digest) && !publicKeyProblem(pub);
  if (!probeKey && !verify) return { emptyPassword: false, verifyExit: -1, verifyErr: '' };
  const job = graderJob(probeKey, verify ? `${IMAGE}@${digest}` : null);
  const r = await ctx.sandbox.graderExec(job.script, {
    env: job.env,
    files: [...(probeKey ? [{ path: 'cosign.key', content: key!, mode: 0o600 }] : []), ...(verify ? [{ path: 'cosign.pub', content: pub! }] : [])],
    timeoutMs: 15_000,
  });
  return {
    emptyPassword: /^EMPTY_PASSWORD=yes$/m.test(r.stdout),
    verifyExit: Number(/^VERIFY_EXIT=(\d+)$/m.exec(r.stdout)?.[1] ?? -1),
    verifyErr: r.stdout.replace(/^(EMPTY_PASSWORD|VERIFY_EXIT)=.*$/gm, '') + r.stderr,
  };
}

export default defineLab({
  async reset(ctx) {
    // Every signature, attestation and SBOM in shop/api goes (only this lab signs).
    await dropLabTags(sessionRegistry(ctx), REPO, isCosignTag);
  },

  async record(ctx) {
    const digest = await sessionRegistry(ctx).headManifest(REPO, TAG);
    if (!digest) throw new Error(`setup.sh did not push ${IMAGE}:${TAG}`);
    ctx.state.set('originalDigest', digest);
  },

  async prepare(ctx: LabContext) {
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const home = ctx.sandbox.home;
    const [pubBuf, keyBuf, digest] = await Promise.all([
      ctx.sandbox.readFile(`${home}/keys/cosign.pub`, 64 * 1024),
      ctx.sandbox.readFile(`${home}/keys/cosign.key`, 64 * 1024),
      client.headManifest(REPO, TAG),
    ]);
    const pub = pubBuf?.toString('utf8') ?? null;
    const key = keyBuf?.toString('utf8') ?? null;
    return {
      client,
      pub,
      key,
      digest,
      graded: once(() => grade(ctx, key, pub, digest)),
      signature: once(async () => (digest ? findCosignSignature(client, REPO, digest) : null)),
    };
  },

  criteria: {
    async 'key-pair'(_ctx, { pub, key, graded }) {
      if (!pub || !key) {
        const missing = [!key && '~/keys/cosign.key', !pub && '~/keys/cosign.pub'].filter((x): x is string => Boolean(x));
        return fail(missing.length > 1 ? 'key-pair.missing-both' : 'key-pair.missing', { missing });
      }
      const pubProblem = publicKeyProblem(pub);
      const keyProblem = privateKeyProblem(key);
      if (pubProblem || keyProblem) {
        const parts = [pubProblem && msg('key-pair.problem', { file: 'cosign.pub', problem: pubProblem }), keyProblem && msg('key-pair.problem', { file: 'cosign.key', problem: keyProblem })].filter((x): x is Message => Boolean(x));
        return fail('key-pair.not-cosign', { parts });
      }
      if ((await graded()).emptyPassword) {
        return fail('key-pair.empty-password');
      }
      return pass('key-pair.ok');
    },

    async signed(ctx, { client, digest, signature }) {
      if (!digest) return fail('signed.no-tag', { image: IMAGE, tag: TAG });
      const sig = await signature();
      if (sig) {
        const tag = sig.tag.endsWith('.sig') ? sigTagOf(digest) : sig.tag.slice(0, 19) + '…';
        return pass('signed.ok', { image: IMAGE, digest: shortDigest(digest), tag, count: sig.signatures });
      }
      const original = ctx.state.get<string>('originalDigest');
      const originalSigned = original && original !== digest ? await findCosignSignature(client, REPO, original) : null;
      if (originalSigned) {
        return fail('signed.original-only', { original: shortDigest(original), tag: TAG, digest: shortDigest(digest) });
      }
      return fail('signed.none', { image: IMAGE, digest: shortDigest(digest), sigTag: sigTagOf(digest) });
    },

    async verifies(_ctx, { pub, digest, graded, signature }) {
      if (!digest) return fail('verifies.no-tag', { image: IMAGE, tag: TAG });
      if (!pub || publicKeyProblem(pub)) return fail('verifies.no-key');
      const v = await graded();
      if (v.verifyExit === 0) return pass('verifies.ok', { image: IMAGE, digest: shortDigest(digest) });
      if (!(await signature())) return fail('verifies.unsigned', { image: IMAGE, digest: shortDigest(digest) });
      const why = lastLine(v.verifyErr);
      return fail('verifies.other-key', { why: why ? ` (cosign: ${why})` : '' });
    },
  },
});
