import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, once, pass, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';
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
      if (!file) return fail(`Файла ~/${ANSWER} нет. Запишите в него значение заголовка Docker-Content-Digest из ответа реестра на запрос манифеста shop/api:1.4.2.`);
      const lines = file.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      const m = lines.length === 1 ? DIGEST_LINE.exec(lines[0]!) : null;
      if (!m) {
        return fail(
          `В ~/${ANSWER} должна быть одна строка вида sha256:<64 шестнадцатеричных символа>, а там ` +
            (lines.length ? `«${lines.join(' ⏎ ').slice(0, 160)}»` : 'пусто') + '.',
        );
      }
      const got = m[1]!.toLowerCase();
      if (got === release) return pass(`Верно: манифест shop/api:1.4.2 имеет дайджест ${shortDigest(release)}.`);
      if (got === releaseConfig) {
        return fail(
          `Записан дайджест конфигурации образа (${shortDigest(got)}, поле .config.digest — он же ID образа), а нужен дайджест самого манифеста. ` +
            'Его реестр присылает в заголовке Docker-Content-Digest; это же sha256 от байтов манифеста.',
        );
      }
      if (got === old) return fail(`Записан дайджест манифеста shop/api:old, а нужен манифест тега 1.4.2.`);
      return fail(
        `Дайджест ${shortDigest(got)} не совпадает с манифестом shop/api:1.4.2 (${shortDigest(release)}). ` +
          'Если вы считали sha256 сами, проверьте, что хешировали ответ реестра байт в байт и запрашивали манифест с заголовком Accept.',
      );
    },

    async copied(_ctx, { registry, rec }) {
      const { release } = rec();
      const copy = await registry.getManifest('shop/archive', '1.4.2');
      if (!copy) {
        const tags = await registry.listTags('shop/archive');
        return fail(
          tags.length
            ? `В shop/archive есть теги ${tags.join(', ')}, но нет 1.4.2. Отправьте манифест методом PUT на /v2/shop/archive/manifests/1.4.2.`
            : 'В реестре нет shop/archive:1.4.2. Смонтируйте блобы (POST …/blobs/uploads/?mount=<дайджест>&from=shop/api) и отправьте манифест PUT на /v2/shop/archive/manifests/1.4.2.',
        );
      }
      if (copy.digest === release) return pass(`shop/archive:1.4.2 — тот же манифест ${shortDigest(release)}, что и shop/api:1.4.2.`);
      const original = await registry.getManifest('shop/api', release);
      if (original && isDeepStrictEqual(original.json, copy.json)) {
        return fail(
          `В shop/archive:1.4.2 то же содержимое, но другие байты, поэтому и дайджест другой (${shortDigest(copy.digest)} вместо ${shortDigest(release)}): ` +
            'манифест переформатировали (например, jq или curl -d). Отправьте байты ответа реестра без изменений: curl -o manifest.json, затем --data-binary @manifest.json.',
        );
      }
      return fail(
        `В shop/archive:1.4.2 другой манифест (${shortDigest(copy.digest)}), а у shop/api:1.4.2 — ${shortDigest(release)}. ` +
          'Копия должна быть тем же манифестом: отправьте его байты без изменений.',
      );
    },

    async 'old-deleted'(_ctx, { registry, rec }) {
      const { old } = rec();
      const [byDigest, byTag] = await Promise.all([registry.headManifest('shop/api', old), registry.headManifest('shop/api', 'old')]);
      if (!byDigest && !byTag) return pass(`Манифест ${shortDigest(old)} (shop/api:old) удалён, тега old больше нет.`);
      if (byDigest) {
        return fail(
          `Манифест shop/api:old (${shortDigest(old)}) всё ещё в реестре. Удаляют по дайджесту: DELETE /v2/shop/api/manifests/<дайджест old> — ` +
            'дайджест возьмите из заголовка Docker-Content-Digest ответа на HEAD-запрос тега old.',
        );
      }
      return fail(`Тег old указывает теперь на другой манифест (${shortDigest(byTag)}). Удалите именно его, по дайджесту.`);
    },

    async 'release-intact'(_ctx, { rec, releaseNow }) {
      const { release } = rec();
      const now = await releaseNow();
      if (now === release) return pass(`shop/api:1.4.2 на месте (${shortDigest(release)}).`);
      if (!now) {
        return fail(
          `shop/api:1.4.2 пропал: удалён манифест ${shortDigest(release)}, а с ним и тег. Удалять нужно было дайджест тега old. ` +
            'Нажмите «Начать заново», чтобы подготовка опубликовала образы снова.',
        );
      }
      return fail(`shop/api:1.4.2 теперь указывает на ${shortDigest(now)}, а релиз был ${shortDigest(release)}: тег перезаписан. Начните лабу заново.`);
    },
  },
});
