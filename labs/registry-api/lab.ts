import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, msg, once, pass, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';
import { isDeepStrictEqual } from 'node:util';

const ANSWER = 'answers/manifest-digest.txt';
const DIGEST_LINE = /^(?:docker-content-digest:\s*)?(sha256:[0-9a-f]{64})$/i;

interface Recorded {
  release: string;
  releaseConfig: string;
  old: string;
}

export default defineLab({
  async reset(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    await registry.deleteRepository('shop/api');
    await registry.deleteRepository('shop/archive');
  },

  async record(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    const [release, old] = await Promise.all([registry.getManifest('shop/api', '1.4.2'), registry.getManifest('shop/api', 'old')]);
    if (!release || !old) throw new Error('registry-api: setup.sh did not publish shop/api:1.4.2 and shop/api:old');
    if (release.digest === old.digest) throw new Error('registry-api: 1.4.2 and old must be different images');
    ctx.state.set('recorded', { release: release.digest, releaseConfig: release.json?.config?.digest, old: old.digest } satisfies Recorded);
  },

  prepare(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    return {
      registry,
      rec: () => requireState<Recorded>(ctx, 'recorded'),
      releaseNow: once(() => registry.headManifest('shop/api', '1.4.2')),
    };
  },

  criteria: {
    async digest(ctx, { rec }) {
      const { release, releaseConfig, old } = rec();
      const file = await ctx.sandbox.readFile(`${ctx.sandbox.home}/${ANSWER}`, 4096);
      if (!file) return fail('digest.no-file', { file: ANSWER });
      const lines = file.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      const m = lines.length === 1 ? DIGEST_LINE.exec(lines[0]!) : null;
      if (!m) {
        return fail('digest.malformed', { file: ANSWER, found: lines.length ? msg('digest.found', { text: lines.join(' ⏎ ').slice(0, 160) }) : msg('digest.found-empty') });
      }
      const got = m[1]!.toLowerCase();
      if (got === release) return pass('digest.ok', { digest: shortDigest(release) });
      if (got === releaseConfig) return fail('digest.config', { digest: shortDigest(got) });
      if (got === old) return fail('digest.old');
      return fail('digest.other', { digest: shortDigest(got), release: shortDigest(release) });
    },

    async copied(_ctx, { registry, rec }) {
      const { release } = rec();
      const copy = await registry.getManifest('shop/archive', '1.4.2');
      if (!copy) {
        const tags = await registry.listTags('shop/archive');
        return tags.length ? fail('copied.other-tags', { tags }) : fail('copied.none');
      }
      if (copy.digest === release) return pass('copied.ok', { digest: shortDigest(release) });
      const original = await registry.getManifest('shop/api', release);
      if (original && isDeepStrictEqual(original.json, copy.json)) {
        return fail('copied.reformatted', { got: shortDigest(copy.digest), release: shortDigest(release) });
      }
      return fail('copied.other', { got: shortDigest(copy.digest), release: shortDigest(release) });
    },

    async 'old-deleted'(_ctx, { registry, rec }) {
      const { old } = rec();
      const [byDigest, byTag] = await Promise.all([registry.headManifest('shop/api', old), registry.headManifest('shop/api', 'old')]);
      if (!byDigest && !byTag) return pass('old-deleted.ok', { digest: shortDigest(old) });
      if (byDigest) return fail('old-deleted.still-there', { digest: shortDigest(old) });
      return fail('old-deleted.moved', { digest: shortDigest(byTag) });
    },

    async 'release-intact'(_ctx, { rec, releaseNow }) {
      const { release } = rec();
      const now = await releaseNow();
      if (now === release) return pass('release-intact.ok', { digest: shortDigest(release) });
      if (!now) return fail('release-intact.gone', { digest: shortDigest(release) });
      return fail('release-intact.overwritten', { now: shortDigest(now), release: shortDigest(release) });
    },
  },
});
