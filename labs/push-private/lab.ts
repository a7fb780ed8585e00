import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, findSimilarRepos, once, pass, recordImageId, refsList, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

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
      if (have.includes(TAG)) return pass(`Образ ${REF} есть в реестре.`);
      if (have.length) {
        return fail(
          `В репозитории ${REPO} реестра localhost:5000 есть ${refsList(REPO, have.sort())}, но нет тега ${TAG}. ` +
            `Тег — часть имени: отправьте образ именно как ${REF}.`,
        );
      }
      const similar = await findSimilarRepos(registry, REPO);
      if (similar.length) {
        const found = similar.map((s) => refsList(s.repo, s.tags, 3)).join('; ');
        return fail(
          `В реестре localhost:5000 нет ${REPO}:${TAG}, зато есть ${found}. Имя репозитория должно быть в точности «${REPO}», тег — «${TAG}»: ` +
            `дайте образу имя ${REF} и отправьте его ещё раз.`,
        );
      }
      return fail(
        `В реестре localhost:5000 пока нет образа ${REPO}:${TAG}. Образ my-api:v1 есть только в локальном Docker: ` +
          `дайте ему имя, которое начинается с адреса реестра (docker tag), и отправьте его командой docker push.`,
      );
    },

    async 'same-image'(ctx, { config }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const got = await config();
      if (!got) return fail(`Сравнивать пока не с чем: в реестре нет ${REPO}:${TAG} (см. пункт выше).`);
      if (got.digest === expected) {
        return pass(`В реестре тот же образ, что собран для лабы: ID (дайджест конфигурации) ${shortDigest(expected)} совпадает.`);
      }
      const labels = got.config?.config?.Labels ?? {};
      const what = labels['org.opencontainers.image.title'] === 'my-api' ? 'похожий, но другой образ (пересобранный)' : 'другой образ';
      return fail(
        `Под тегом ${REPO}:${TAG} в реестре лежит ${what}: его ID ${shortDigest(got.digest)}, а у собранного для лабы my-api:v1 — ${shortDigest(expected)}. ` +
          `Ничего не пересобирайте: дайте новое имя именно образу my-api:v1 (сравните IMAGE ID в docker images) и повторите push.`,
      );
    },
  },
});
