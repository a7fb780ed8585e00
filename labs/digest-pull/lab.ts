import { defineLab, type CriterionOutcome, type LabContext } from '../../checks/context.ts';
import { RegistryClient } from '../../checks/registry-client.ts';
import { requireState } from '../../checks/lab-helpers.ts';

const REPO = 'shop/web';
const NAME = `localhost:5000/${REPO}`;
const STATE_FILE = '/run/registry-lab/digest-pull.json';
const REF_FILE = 'deploy/web.ref';
const PINNED_RE = /^localhost:5000\/shop\/web(?::[\w][\w.-]{0,127})?@(sha256:[a-f0-9]{64})$/;

interface Recorded {
  original: string;
  repushed: string;
  /** Config digests (= image IDs in the classic image store). */
  originalConfig: string;
  repushedConfig: string;
}

function short(digest: string): string {
  return digest.slice(0, 19) + '…';
}

export default defineLab({
  async afterSetup(ctx: LabContext) {
    const raw = await ctx.sandbox.readFile(STATE_FILE, 4096);
    if (!raw) throw new Error(`digest-pull: setup.sh left no ${STATE_FILE}`);
    const { original, repushed } = JSON.parse(raw.toString('utf8')) as { original: string; repushed: string };
    await ctx.sandbox.exec(['rm', '-f', STATE_FILE], { user: 'root', timeoutMs: 5_000 });
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const [o, r] = await Promise.all([client.getManifest(REPO, original), client.getManifest(REPO, repushed)]);
    if (!o || !r) throw new Error(`digest-pull: the registry does not serve ${!o ? original : repushed}`);
    const rec: Recorded = { original, repushed, originalConfig: o.json?.config?.digest, repushedConfig: r.json?.config?.digest };
    ctx.state.clear();
    ctx.state.set('recorded', rec);
  },

  async check(ctx: LabContext) {
    const rec = requireState<Recorded>(ctx, 'recorded');
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const out: Record<string, CriterionOutcome> = {};

    const [file, inspect] = await Promise.all([
      ctx.sandbox.readFile(`${ctx.sandbox.home}/${REF_FILE}`, 64 * 1024),
      ctx.sandbox.exec(['docker', 'container', 'inspect', 'web'], { timeoutMs: 8_000 }),
    ]);

    // pinned-ref
    let pinned: string | null = null;
    if (!file) {
      out['pinned-ref'] = { passed: false, message: `Файла ~/${REF_FILE} нет. Создайте каталог ~/deploy и запишите в web.ref ссылку вида ${NAME}@sha256:<дайджест>.` };
    } else {
      const lines = file
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      const m = lines.length === 1 ? PINNED_RE.exec(lines[0]) : null;
      if (m) {
        pinned = m[1];
        out['pinned-ref'] = { passed: true, message: `В ~/${REF_FILE} ссылка по дайджесту: ${NAME}@${short(pinned)}.` };
      } else if (lines.length === 0) {
        out['pinned-ref'] = { passed: false, message: `Файл ~/${REF_FILE} пуст. Запишите в него одну строку: ${NAME}@sha256:<дайджест исходного образа>.` };
      } else if (lines.length > 1) {
        out['pinned-ref'] = { passed: false, message: `В ~/${REF_FILE} ${lines.length} непустых строк, а нужна ровно одна ссылка: ${NAME}@sha256:<дайджест>.` };
      } else if (!lines[0].includes('@')) {
        out['pinned-ref'] = {
          passed: false,
          message: `В ~/${REF_FILE} записано «${lines[0].slice(0, 120)}» — это ссылка по тегу, её можно перезаписать. Нужна ссылка по дайджесту: ${NAME}@sha256:<дайджест>.`,
        };
      } else {
        out['pinned-ref'] = {
          passed: false,
          message: `В ~/${REF_FILE} записано «${lines[0].slice(0, 120)}», а ожидалась ссылка вида ${NAME}@sha256:<64 шестнадцатеричных символа> (именно репозиторий ${NAME}).`,
        };
      }
    }

    // original + resolvable
    if (!pinned) {
      const skip = 'Проверка не выполнялась: сначала запишите в ~/deploy/web.ref ссылку по дайджесту.';
      out.original = { passed: false, message: skip };
      out.resolvable = { passed: false, message: skip };
    } else {
      if (pinned === rec.original) {
        out.original = { passed: true, message: 'Это дайджест исходного образа — того, что был опубликован до перезаписи тега.' };
      } else if (pinned === rec.repushed) {
        out.original = {
          passed: false,
          message: `${short(pinned)} — дайджест перезалитого (сломанного) образа, на который тег 1.0 указывает сейчас. Нужен дайджест образа, который был у вас до перезаписи: его помнит ваш Docker Engine (docker images --digests).`,
        };
      } else {
        out.original = {
          passed: false,
          message: `Дайджест ${short(pinned)} не принадлежит ни исходному, ни перезалитому образу shop/web:1.0. Возьмите дайджест исходного образа из docker images --digests.`,
        };
      }
      const served = await client.getManifest(REPO, pinned).catch(() => null);
      out.resolvable = served
        ? { passed: true, message: `Реестр отдаёт манифест ${NAME}@${short(pinned)}.` }
        : { passed: false, message: `Реестр не знает ${NAME}@${short(pinned)}: по такому дайджесту образ не скачать. Проверьте, что дайджест скопирован целиком и без опечаток.` };
    }

    // running
    if (inspect.exitCode !== 0) {
      out.running = { passed: false, message: `Контейнера web нет. Запустите его по ссылке из файла: docker run -d --name web "$(cat ~/${REF_FILE})".` };
    } else {
      let c: any;
      try {
        c = (JSON.parse(inspect.stdout) as any[])[0];
      } catch {
        c = null;
      }
      const imageId: string = c?.Image ?? '';
      const configImage: string = c?.Config?.Image ?? '';
      const running = c?.State?.Running === true;
      const isOriginal = imageId === rec.originalConfig || imageId === rec.original;
      const isRepushed = imageId === rec.repushedConfig || imageId === rec.repushed;
      const byDigest = configImage.includes(`@${rec.original}`);
      if (!c) {
        out.running = { passed: false, message: 'Не удалось прочитать docker container inspect web. Пересоздайте контейнер: docker rm -f web, затем docker run -d --name web <ссылка из web.ref>.' };
      } else if (!isOriginal) {
        out.running = {
          passed: false,
          message: isRepushed
            ? `Контейнер web запущен из перезалитого (сломанного) образа (${configImage}). Пересоздайте его из исходного образа по дайджесту: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`
            : `Контейнер web запущен из другого образа (${configImage}), а нужен исходный shop/web:1.0 по дайджесту. Пересоздайте: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`,
        };
      } else if (!byDigest) {
        out.running = {
          passed: false,
          message: `Контейнер web запущен из нужного образа, но по ссылке «${configImage}», а не по дайджесту: при следующем запуске тег может указать на другой образ. Пересоздайте: docker rm -f web && docker run -d --name web "$(cat ~/${REF_FILE})".`,
        };
      } else if (!running) {
        out.running = { passed: false, message: `Контейнер web создан по дайджесту, но не работает (состояние: ${c?.State?.Status ?? 'неизвестно'}). Запустите его: docker start web, причину остановки покажет docker logs web.` };
      } else {
        out.running = { passed: true, message: `Контейнер web работает из исходного образа, запущен по дайджесту (${configImage.replace(/@sha256:([a-f0-9]{12}).*/, '@sha256:$1…')}).` };
      }
    }
    return out;
  },
});
