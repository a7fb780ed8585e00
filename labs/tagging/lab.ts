import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { dropLabTags, execOrThrow, fail, listCode, once, pass, recordImageId, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

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
    await recordImageId(ctx, 'configDigest', 'shop/api:dev');
    const label = await execOrThrow(ctx, ['docker', 'image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.revision"}}', 'shop/api:dev']);
    const commit = label.stdout.trim();
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`shop/api:dev has no revision label (got "${commit}")`);
    ctx.state.set('commit', commit);
  },

  prepare(ctx: LabContext) {
    const registry = sessionRegistry(ctx);
    const tags = once(async () => (await registry.listTags(REPO)).sort());
    const commitTag = () => `sha-${requireState<string>(ctx, 'commit').slice(0, 7)}`;
    const releaseTags = () => [...SEMVER, commitTag()];
    /** How a tag is named in messages: the commit tag is not spelled out (that is the commit-tag task). */
    const shown = (t: string) => (t === commitTag() ? 'sha-<коммит>' : t);
    const shownList = (ts: string[]) => listCode(ts.map(shown));
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
      if (!missing.length) return pass(`Теги ${listCode(SEMVER)} есть в ${BASE}.`);
      const withV = have.filter((t) => /^v\d/.test(t));
      if (withV.length) {
        return fail(`Найдены теги ${listCode(withV)}, а нужны ${listCode(SEMVER)} — версии в этой лабе пишутся без буквы v. Не хватает: ${listCode(missing)}.`);
      }
      if (!have.length) return fail(`В ${BASE} пока нет ни одного тега. Поставьте на shop/api:dev теги релиза ${listCode(SEMVER)} с адресом реестра (docker tag) и отправьте каждый (docker push).`);
      return fail(`В ${BASE} не хватает ${listCode(missing)} (сейчас там: ${listCode(have.slice(0, 8))}). Каждый тег нужно отправить отдельно: docker push отправляет только указанный тег.`);
    },

    async 'commit-tag'(ctx, { tags, commitTag }) {
      const have = await tags();
      const want = commitTag();
      const commit = requireState<string>(ctx, 'commit');
      if (have.includes(want)) return pass(`Тег ${want} есть: он однозначно связывает образ с коммитом.`);
      const shaTags = have.filter((t) => t.startsWith('sha-'));
      for (const t of shaTags) {
        const hex = t.slice(4);
        if (commit.startsWith(hex) && hex.length !== 7) {
          return fail(`Найден тег ${t}: хеш правильный, но в нём ${hex.length} символов, а по соглашению лабы нужны ровно 7 первых (как у git rev-parse --short=7).`);
        }
      }
      if (shaTags.length) {
        return fail(`Тег ${listCode(shaTags)} не совпадает с коммитом репозитория ~/shop. Возьмите хеш коммита, из которого собран shop/api:dev (git log --oneline в ~/shop), — его первые 7 символов.`);
      }
      return fail(`Тега вида sha-<7 символов коммита> в ${BASE} нет. Узнайте хеш коммита в ~/shop (git log --oneline) и отправьте тег sha-<первые 7 символов>.`);
    },

    async 'same-digest'(_ctx, { tags, releaseTags, shown, shownList, manifestDigest }) {
      const want = releaseTags();
      const have = await tags();
      const missing = want.filter((t) => !have.includes(t));
      if (missing.length) return fail(`Сравнить пока нельзя: в реестре нет ${shownList(missing)}. Когда все четыре тега будут опубликованы, они должны указывать на один манифест.`);
      const pairs = await Promise.all(want.map(async (t) => [t, await manifestDigest(t)] as const));
      const distinct = new Set(pairs.map(([, d]) => d));
      if (distinct.size === 1) return pass(`Все четыре тега указывают на один манифест ${shortDigest(pairs[0][1])}.`);
      const listing = pairs.map(([t, d]) => `${shown(t)} → ${shortDigest(d)}`).join(', ');
      return fail(`Теги указывают на разные манифесты: ${listing}. Все теги одного релиза должны быть именами одного образа: ставьте их на один локальный образ и не пересобирайте его между push.`);
    },

    async 'same-image'(ctx, { tags, releaseTags, shown, shownList, configDigest }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const have = await tags();
      const present = releaseTags().filter((t) => have.includes(t));
      if (!present.length) return fail(`Сравнивать пока не с чем: ни одного тега релиза (${shownList(releaseTags())}) в ${BASE} нет.`);
      const configs = await Promise.all(present.map(async (t) => [t, await configDigest(t)] as const));
      const wrong = configs.filter(([, d]) => d !== expected);
      if (!wrong.length) return pass(`Теги релиза указывают на образ shop/api:dev: ID ${shortDigest(expected)} совпадает.`);
      const listing = wrong.map(([t, d]) => `${shown(t)} (ID ${shortDigest(d)})`).join(', ');
      return fail(`Не тот образ у ${listing}: у shop/api:dev, собранного из коммита, ID ${shortDigest(expected)}. Релиз — это уже собранный shop/api:dev, без пересборки и правок: поставьте теги именно на него (сравните IMAGE ID в docker images).`);
    },

    async 'no-latest'(_ctx, { tags, releaseTags }) {
      const have = await tags();
      if (have.includes('latest')) {
        return fail(`В ${BASE} есть тег latest. В этой лабе релиз публикуется только точными версиями и тегом коммита: latest «плавает» и не говорит, что именно запущено. В registry:2 тег нельзя удалить отдельно от манифеста, а манифест у latest, скорее всего, общий с тегами релиза — нажмите «Начать заново» и опубликуйте релиз без latest.`);
      }
      const present = releaseTags().filter((t) => have.includes(t));
      if (!present.length) return fail(`Тега latest нет, но и релиза пока нет: этот пункт засчитывается, когда опубликованы теги релиза, а latest среди них не появился.`);
      return pass(`Тега latest нет — версии указаны явно.`);
    },
  },
});
