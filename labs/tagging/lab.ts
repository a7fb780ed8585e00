import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { dropLabTags, execOrThrow, fail, msg, once, pass, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

const REPO = 'shop/api';
const BASE = `localhost:5000/${REPO}`;
const SEMVER = ['1.4.2', '1.4', '1'];

/** Tags this lab owns in shop/api (other labs use other tags of the same repository). */
function isLabTag(tag: string): boolean {
  return /^v?1(\.4(\.2)?)?$/.test(tag) || tag === 'latest' || /^sha-/.test(tag);
}

export default defineLab({
  async reset(ctx) {
    await dropLabTags(sessionRegistry(ctx), REPO, isLabTag);
  },

  async record(ctx) {
    // The image ID and its revision label in one command (one exec in the workstation per lab start).
    const inspected = await execOrThrow(ctx, ['docker', 'image', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "org.opencontainers.image.revision"}}', 'shop/api:dev'], { timeoutMs: 20_000 });
    const [id = '', commit = ''] = inspected.stdout.trim().split(' ');
    if (!/^sha256:[a-f0-9]{64}$/.test(id)) throw new Error('setup.sh did not produce shop/api:dev');
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`shop/api:dev has no revision label (got "${commit.slice(0, 80)}")`);
    ctx.state.set('configDigest', id);
    ctx.state.set('commit', commit);
  },

  prepare(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    const tags = once(async () => (await registry.listTags(REPO)).sort());
    const commitTag = () => `sha-${requireState<string>(ctx, 'commit').slice(0, 7)}`;
    const releaseTags = () => [...SEMVER, commitTag()];
    /** How a tag is named in messages: the commit tag is not spelled out (that is the commit-tag task). */
    const shown = (t: string) => (t === commitTag() ? msg('commit-tag-shown') : t);
    const shownList = (ts: string[]) => ts.map(shown);
    const digestOf = new Map<string, () => Promise<string | null>>();
    const manifestDigest = (t: string) => {
      if (!digestOf.has(t)) digestOf.set(t, once(() => registry.headManifest(REPO, t)));
      return digestOf.get(t)!();
    };
    const configOf = new Map<string, () => Promise<string | null>>();
    const configDigest = (t: string) => {
      if (!configOf.has(t)) configOf.set(t, once(async () => (await registry.getConfig(REPO, t))?.digest ?? null));
      return configOf.get(t)!();
    };

    return { tags, commitTag, releaseTags, shown, shownList, manifestDigest, configDigest };
  },

  criteria: {
    async 'semver-tags'(_ctx, { tags }) {
      const have = await tags();
      const missing = SEMVER.filter((t) => !have.includes(t));
      if (!missing.length) return pass('semver-tags.ok', { tags: SEMVER, base: BASE });
      const withV = have.filter((t) => /^v\d/.test(t));
      if (withV.length) return fail('semver-tags.v-prefix', { found: withV, want: SEMVER, missing });
      if (!have.length) return fail('semver-tags.none', { base: BASE, want: SEMVER });
      return fail('semver-tags.missing', { base: BASE, missing, have: have.slice(0, 8) });
    },

    async 'commit-tag'(ctx, { tags, commitTag }) {
      const have = await tags();
      const want = commitTag();
      const commit = requireState<string>(ctx, 'commit');
      if (have.includes(want)) return pass('commit-tag.ok', { tag: want });
      const shaTags = have.filter((t) => t.startsWith('sha-'));
      for (const t of shaTags) {
        const hex = t.slice(4);
        if (commit.startsWith(hex) && hex.length !== 7) {
          return fail('commit-tag.length', { tag: t, length: hex.length });
        }
      }
      if (shaTags.length) {
        return fail('commit-tag.other-commit', { tags: shaTags });
      }
      return fail('commit-tag.none', { base: BASE });
    },

    async 'same-digest'(_ctx, { tags, releaseTags, shown, shownList, manifestDigest }) {
      const want = releaseTags();
      const have = await tags();
      const missing = want.filter((t) => !have.includes(t));
      if (missing.length) return fail('same-digest.missing', { missing: shownList(missing) });
      const pairs = await Promise.all(want.map(async (t) => [t, await manifestDigest(t)] as const));
      const distinct = new Set(pairs.map(([, d]) => d));
      if (distinct.size === 1) return pass('same-digest.ok', { digest: shortDigest(pairs[0][1]) });
      const listing = pairs.map(([t, d]) => msg('same-digest.pair', { tag: shown(t), digest: shortDigest(d) }));
      return fail('same-digest.different', { listing });
    },

    async 'same-image'(ctx, { tags, releaseTags, shown, shownList, configDigest }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const have = await tags();
      const present = releaseTags().filter((t) => have.includes(t));
      if (!present.length) return fail('same-image.none', { tags: shownList(releaseTags()), base: BASE });
      const configs = await Promise.all(present.map(async (t) => [t, await configDigest(t)] as const));
      const wrong = configs.filter(([, d]) => d !== expected);
      if (!wrong.length) return pass('same-image.ok', { id: shortDigest(expected) });
      const listing = wrong.map(([t, d]) => msg('same-image.item', { tag: shown(t), id: shortDigest(d) }));
      return fail('same-image.other', { listing, id: shortDigest(expected) });
    },

    async 'no-latest'(_ctx, { tags, releaseTags }) {
      const have = await tags();
      if (have.includes('latest')) {
        return fail('no-latest.present', { base: BASE });
      }
      const present = releaseTags().filter((t) => have.includes(t));
      if (!present.length) return fail('no-latest.no-release');
      return pass('no-latest.ok');
    },
  },
});
