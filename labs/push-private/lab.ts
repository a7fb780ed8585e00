import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, findSimilarRepos, msg, once, pass, recordImageId, refsList, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

const REPO = 'my-api';
const TAG = 'v1';
const REF = `localhost:5000/${REPO}:${TAG}`;

export default defineLab({
  async reset(ctx) {
    // Nothing of my-api (or a look-alike such as myapi) stays in the session registry.
    const registry = sessionRegistry(ctx);
    await registry.deleteRepository(REPO);
    for (const { repo } of await findSimilarRepos(registry, REPO, 20)) await registry.deleteRepository(repo);
  },

  async record(ctx) {
    await recordImageId(ctx, 'configDigest', `${REPO}:${TAG}`);
  },

  prepare(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    return { registry, tags: once(() => registry.listTags(REPO)), config: once(() => registry.getConfig(REPO, TAG)) };
  },

  criteria: {
    async pushed(_ctx, { registry, tags }) {
      const have = await tags();
      if (have.includes(TAG)) return pass('pushed.ok', { ref: REF });
      if (have.length) return fail('pushed.other-tag', { repo: REPO, refs: refsList(REPO, have.sort()), tag: TAG, ref: REF });
      const similar = await findSimilarRepos(registry, REPO);
      if (similar.length) {
        const found = similar.map((s) => refsList(s.repo, s.tags, 3));
        return fail('pushed.similar', { repo: REPO, tag: TAG, found, ref: REF });
      }
      return fail('pushed.none', { repo: REPO, tag: TAG });
    },

    async 'same-image'(ctx, { config }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const got = await config();
      if (!got) return fail('same-image.none', { repo: REPO, tag: TAG });
      if (got.digest === expected) {
        return pass('same-image.ok', { id: shortDigest(expected) });
      }
      const labels = got.config?.config?.Labels ?? {};
      const what = msg(labels['org.opencontainers.image.title'] === 'my-api' ? 'same-image.rebuilt' : 'same-image.another');
      return fail('same-image.other', { repo: REPO, tag: TAG, what, got: shortDigest(got.digest), id: shortDigest(expected) });
    },
  },
});
