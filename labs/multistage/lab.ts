import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { dropLabTags, fail, pass, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';
import { RegistryClient, type ManifestResult } from '../../checks/registry-client.ts';
import { scanLayers, type LayerEntry } from '../../checks/layers.ts';

const REPO = 'shop/api';
const TAG = 'slim';
const REF = `localhost:5000/${REPO}:${TAG}`;
const MAX_BYTES = 20 * 1024 * 1024;

interface LayerVerdict {
  toolchain: string[];
  sources: string[];
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} МБ`;
}

/** What in one layer betrays a Go toolchain or Go sources (a few examples of each). */
export function inspectLayer(entries: LayerEntry[]): LayerVerdict {
  const toolchain = new Set<string>();
  const sources: string[] = [];
  for (const e of entries) {
    const p = e.path;
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.')) continue; // whiteouts delete, they add nothing
    const isDir = e.type === 'directory';
    const root = /^(usr\/local\/go|usr\/lib\/go(?:-[0-9.]+)?|usr\/share\/go(?:-[0-9.]+)?)(?:\/|$)/.exec(p);
    if (root) {
      if (toolchain.size < 5) toolchain.add('/' + root[1]);
    } else if (!isDir && (base === 'go' || base === 'gofmt') && /(^|\/)bin\/[^/]+$/.test(p)) {
      if (toolchain.size < 5) toolchain.add('/' + p);
    } else if (!isDir && /(^|\/)pkg\/tool\/[^/]+\/compile$/.test(p)) {
      if (toolchain.size < 5) toolchain.add('/' + p);
    } else if (!isDir && base.endsWith('.go') && base.length > 3) {
      if (sources.length < 50) sources.push('/' + p);
    }
  }
  // The learner's own files first, documentation examples of the base image last.
  sources.sort((a, b) => Number(a.startsWith('/usr/share/')) - Number(b.startsWith('/usr/share/')));
  return { toolchain: [...toolchain], sources: sources.slice(0, 3) };
}

function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  if (!u) return true;
  const name = u.split(':')[0];
  return name === '' || name === 'root' || name === '0';
}

type Pushed = { client: RegistryClient; manifest: ManifestResult | null; unreadable?: string };

function notPushed(p: Pushed) {
  return p.manifest ? null : fail(`Проверка не выполнялась: сначала опубликуйте ${REF}.`);
}

export default defineLab({
  async reset(ctx) {
    // Only :slim is this lab's; a manifest another tag of shop/api names stays.
    await dropLabTags(sessionRegistry(ctx), REPO, (t) => t === TAG);
  },

  async prepare(ctx: LabContext): Promise<Pushed> {
    const client = new RegistryClient(ctx.sandbox.registryUrl()); // default blob timeout: layers can be large
    try {
      return { client, manifest: await client.resolveImageManifest(REPO, TAG) };
    } catch (err) {
      return { client, manifest: null, unreadable: (err as Error).message };
    }
  },

  criteria: {
    pushed(_ctx, p) {
      if (p.unreadable) return fail(`Тег ${REF} есть, но его манифест не читается: ${p.unreadable}. Соберите образ заново и повторите docker push.`);
      if (!p.manifest) {
        return fail(`В реестре нет образа ${REF}. Соберите многоэтапный образ с этим тегом (docker build -t ${REF} ...) и отправьте его: docker push ${REF}.`);
      }
      return pass(`Образ ${REF} найден в реестре (${shortDigest(p.manifest.digest)}).`);
    },

    small(_ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const size = p.client.layersSize(p.manifest);
      const layers = Array.isArray(p.manifest.json?.layers) ? p.manifest.json.layers.length : 0;
      if (size <= MAX_BYTES) return pass(`Сжатые слои занимают ${mb(size)} (${layers} сл.) — не больше 20 МБ.`);
      return fail(
        `Сжатые слои занимают ${mb(size)} (${layers} сл.), а нужно не больше 20 МБ. Итоговый этап, похоже, всё ещё строится на тяжёлом базовом образе: начните его с маленького образа и скопируйте туда только бинарник (COPY --from=...).`,
      );
    },

    async 'no-toolchain'(ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      // Layers are content-addressed: cache verdicts by layer digest across checks.
      const cache = ctx.state.get<Record<string, LayerVerdict>>('layerVerdicts') ?? {};
      let verdicts;
      try {
        verdicts = await scanLayers(p.client, REPO, p.manifest.json, inspectLayer, cache);
      } catch (err) {
        return fail(`Не удалось прочитать слои образа из реестра: ${(err as Error).message}. Попробуйте отправить образ ещё раз (docker push ${REF}).`);
      }
      ctx.state.set('layerVerdicts', cache);
      const toolchain = verdicts.flatMap((v) => v.result.toolchain).slice(0, 3);
      const sources = verdicts.flatMap((v) => v.result.sources).slice(0, 3);
      if (toolchain.length === 0 && sources.length === 0) return pass(`Просмотрено слоёв: ${verdicts.length}. Ни компилятора Go, ни файлов *.go в них нет.`);
      const parts: string[] = [];
      if (toolchain.length) parts.push(`компилятор Go (${toolchain.join(', ')})`);
      if (sources.length) parts.push(`исходники (${sources.join(', ')})`);
      return fail(`В слоях образа нашлись ${parts.join(' и ')}. В итоговый этап должен попасть только скомпилированный бинарник: проверьте, с какого образа начинается последний FROM и что копирует COPY.`);
    },

    async runs(ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const probe = await ctx.sandbox.probeImage(REF, { port: 8080, path: '/healthz', timeoutMs: 10_000 });
      if (probe.ok && probe.status === 200) {
        const body = (probe.body ?? '').trim();
        return pass(`Контейнер запустился и ответил на GET /healthz: 200${body ? ` «${body.slice(0, 40)}»` : ''}.`);
      }
      if (probe.status !== undefined) {
        return fail(`Контейнер ответил на GET /healthz кодом ${probe.status}, а ожидался 200. Проверьте, что запускается именно сервис из main.go и он слушает порт 8080.`);
      }
      return fail(
        `Контейнер из ${REF} не ответил на GET /healthz по порту 8080${probe.error ? `: ${probe.error.trim()}` : ' за 10 с'}. Запустите его у себя: docker run --rm -p 8080:8080 ${REF}, посмотрите docker logs. Частые причины: CMD в форме оболочки в образе без /bin/sh, неверный путь к бинарнику.`,
      );
    },

    async 'non-root'(_ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const config = await p.client.getConfig(REPO, p.manifest.digest);
      const user: string = config?.config?.config?.User ?? '';
      if (!isRootUser(user)) return pass(`Процесс запускается от пользователя «${user}», не от root.`);
      return fail(
        user
          ? `В образе указан пользователь «${user}» — это root. Задайте непривилегированного пользователя инструкцией USER (например, USER 65532:65532). Этот пункт не обязателен.`
          : 'В образе не задан пользователь, процесс запустится от root. Добавьте в итоговый этап инструкцию USER (например, USER 65532:65532). Этот пункт не обязателен.',
      );
    },
  },
});
