import type { CriterionOutcome, LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, pass, readStateFile, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

const REPO = 'shop/web';
const NAME = `localhost:5000/${REPO}`;
const STATE_FILE = '/opt/registry-lab/state/digest-pull.json';
const REF_FILE = 'deploy/web.ref';
const PINNED_RE = /^localhost:5000\/shop\/web(?::[\w][\w.-]{0,127})?@(sha256:[a-f0-9]{64})$/;

interface Recorded {
  original: string;
  repushed: string;
  /** Config digests (= image IDs in the classic image store). */
  originalConfig: string;
  repushedConfig: string;
}

/** What ~/deploy/web.ref says: the pinned digest, or why it is not a pinned reference. */
type RefFile = { pinned: string; message: string } | { pinned: null; message: string };

function readRef(file: Buffer | null): RefFile {
  if (!file) return { pinned: null, message: `Файла ~/${REF_FILE} нет. Создайте каталог ~/deploy и запишите в web.ref ссылку вида ${NAME}@sha256:<дайджест>.` };
  const lines = file
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const m = lines.length === 1 ? PINNED_RE.exec(lines[0]) : null;
  if (m) return { pinned: m[1], message: `В ~/${REF_FILE} ссылка по дайджесту: ${NAME}@${shortDigest(m[1])}.` };
  if (lines.length === 0) return { pinned: null, message: `Файл ~/${REF_FILE} пуст. Запишите в него одну строку: ${NAME}@sha256:<дайджест исходного образа>.` };
  if (lines.length > 1) return { pinned: null, message: `В ~/${REF_FILE} ${lines.length} непустых строк, а нужна ровно одна ссылка: ${NAME}@sha256:<дайджест>.` };
  if (!lines[0].includes('@')) {
    return { pinned: null, message: `В ~/${REF_FILE} записано «${lines[0].slice(0, 120)}» — это ссылка по тегу, её можно перезаписать. Нужна ссылка по дайджесту: ${NAME}@sha256:<дайджест>.` };
  }
  return { pinned: null, message: `В ~/${REF_FILE} записано «${lines[0].slice(0, 120)}», а ожидалась ссылка вида ${NAME}@sha256:<64 шестнадцатеричных символа> (именно репозиторий ${NAME}).` };
}

const NOT_PINNED = 'Проверка не выполнялась: сначала запишите в ~/deploy/web.ref ссылку по дайджесту.';

export default defineLab({
  async record(ctx) {
    const { original, repushed } = await readStateFile<{ original: string; repushed: string }>(ctx, STATE_FILE);
    const client = sessionRegistry(ctx);
    const [o, r] = await Promise.all([client.getManifest(REPO, original), client.getManifest(REPO, repushed)]);
    if (!o || !r) throw new Error(`the registry does not serve ${!o ? original : repushed}`);
    const rec: Recorded = { original, repushed, originalConfig: o.json?.config?.digest, repushedConfig: r.json?.config?.digest };
    ctx.state.set('recorded', rec);
  },

  async prepare(ctx: LabContext) {
    const [file, inspect] = await Promise.all([
      ctx.sandbox.readFile(`${ctx.sandbox.home}/${REF_FILE}`, 64 * 1024),
      ctx.sandbox.exec(['docker', 'container', 'inspect', 'web'], { timeoutMs: 8_000 }),
    ]);
    return { ref: readRef(file), inspect };
  },

  criteria: {
    'pinned-ref'(_ctx, { ref }) {
      return { passed: ref.pinned !== null, message: ref.message };
    },

    original(ctx, { ref }) {
      const rec = requireState<Recorded>(ctx, 'recorded');
      const pinned = ref.pinned;
      if (!pinned) return fail(NOT_PINNED);
      if (pinned === rec.original) return pass('Это дайджест исходного образа — того, что был опубликован до перезаписи тега.');
      if (pinned === rec.repushed) {
        return fail(`${shortDigest(pinned)} — дайджест перезалитого (сломанного) образа, на который тег 1.0 указывает сейчас. Нужен дайджест образа, который был у вас до перезаписи: его помнит ваш Docker Engine (docker images --digests).`);
      }
      return fail(`Дайджест ${shortDigest(pinned)} не принадлежит ни исходному, ни перезалитому образу shop/web:1.0. Возьмите дайджест исходного образа из docker images --digests.`);
    },

    async resolvable(ctx, { ref }) {
      const pinned = ref.pinned;
      if (!pinned) return fail(NOT_PINNED);
      const served = await sessionRegistry(ctx).getManifest(REPO, pinned);
      return served
        ? pass(`Реестр отдаёт манифест ${NAME}@${shortDigest(pinned)}.`)
        : fail(`Реестр не знает ${NAME}@${shortDigest(pinned)}: по такому дайджесту образ не скачать. Проверьте, что дайджест скопирован целиком и без опечаток.`);
    },

    running(ctx, { inspect }): CriterionOutcome {
      const rec = requireState<Recorded>(ctx, 'recorded');
      if (inspect.exitCode !== 0) return fail(`Контейнера web нет. Запустите его по ссылке из файла: docker run -d --name web "$(cat ~/${REF_FILE})".`);
      let c: any;
      try {
        c = (JSON.parse(inspect.stdout) as any[])[0];
      } catch {
        c = null;
      }
      if (!c) return fail('Не удалось прочитать docker container inspect web. Пересоздайте контейнер: docker rm -f web, затем docker run -d --name web <ссылка из web.ref>.');
      const imageId: string = c.Image ?? '';
      const configImage: string = c.Config?.Image ?? '';
      const isOriginal = imageId === rec.originalConfig || imageId === rec.original;
      const isRepushed = imageId === rec.repushedConfig || imageId === rec.repushed;
      if (!isOriginal) {
        return fail(
          isRepushed
            ? `Контейнер web запущен из перезалитого (сломанного) образа (${configImage}). Пересоздайте его из исходного образа по дайджесту: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`
            : `Контейнер web запущен из другого образа (${configImage}), а нужен исходный shop/web:1.0 по дайджесту. Пересоздайте: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`,
        );
      }
      if (!configImage.includes(`@${rec.original}`)) {
        return fail(`Контейнер web запущен из нужного образа, но по ссылке «${configImage}», а не по дайджесту: при следующем запуске тег может указать на другой образ. Пересоздайте: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`);
      }
      if (c.State?.Running !== true) return fail(`Контейнер web создан по дайджесту, но не работает (состояние: ${c.State?.Status ?? 'неизвестно'}). Запустите его: docker start web, причину остановки покажет docker logs web.`);
      return pass(`Контейнер web работает из исходного образа, запущен по дайджесту (${configImage.replace(/@sha256:([a-f0-9]{12}).*/, '@sha256:$1…')}).`);
    },
  },
});
