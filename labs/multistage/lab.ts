import { defineLab, type CriterionOutcome, type HttpProbeResult, type LabContext } from '../../checks/context.ts';
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

export default defineLab({
  async setup(ctx: LabContext) {
    // Reset: remove shop/api:slim from the registry, but never a manifest another tag
    // of shop/api (used by other labs) still names.
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const digest = await client.headManifest(REPO, TAG);
    if (digest) {
      const others = (await client.listTags(REPO)).filter((t) => t !== TAG);
      let shared = false;
      for (const t of others) {
        if ((await client.headManifest(REPO, t)) === digest) {
          shared = true;
          break;
        }
      }
      if (!shared) await client.deleteManifest(REPO, digest);
    }
    ctx.state.clear();
  },

  async check(ctx: LabContext) {
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const out: Record<string, CriterionOutcome> = {};
    let manifest: ManifestResult | null = null;
    try {
      manifest = await client.resolveImageManifest(REPO, TAG);
    } catch (err) {
      out.pushed = { passed: false, message: `Тег ${REF} есть, но его манифест не читается: ${(err as Error).message}. Соберите образ заново и повторите docker push.` };
    }
    if (!manifest) {
      out.pushed ??= {
        passed: false,
        message: `В реестре нет образа ${REF}. Соберите многоэтапный образ с этим тегом (docker build -t ${REF} ...) и отправьте его: docker push ${REF}.`,
      };
      const skip = { passed: false, message: `Проверка не выполнялась: сначала опубликуйте ${REF}.` };
      return { ...out, small: skip, 'no-toolchain': skip, runs: skip, 'non-root': skip };
    }
    const digest = manifest.digest;
    out.pushed = { passed: true, message: `Образ ${REF} найден в реестре (${digest.slice(0, 19)}…).` };

    // Run the image while the layers are read: the probe takes the longest.
    const probing = ctx.sandbox
      .probeImage(REF, { port: 8080, path: '/healthz', timeoutMs: 10_000 })
      .catch((err: Error): HttpProbeResult => ({ ok: false, error: err.message }));

    const size = client.layersSize(manifest);
    const layers = Array.isArray(manifest.json?.layers) ? manifest.json.layers.length : 0;
    out.small =
      size <= MAX_BYTES
        ? { passed: true, message: `Сжатые слои занимают ${mb(size)} (${layers} сл.) — не больше 20 МБ.` }
        : {
            passed: false,
            message: `Сжатые слои занимают ${mb(size)} (${layers} сл.), а нужно не больше 20 МБ. Итоговый этап, похоже, всё ещё строится на тяжёлом базовом образе: начните его с маленького образа и скопируйте туда только бинарник (COPY --from=...).`,
          };

    // Layers are content-addressed: cache verdicts by layer digest across checks.
    const cache = ctx.state.get<Record<string, LayerVerdict>>('layerVerdicts') ?? {};
    try {
      const verdicts = await scanLayers(client, REPO, manifest.json, inspectLayer, cache);
      ctx.state.set('layerVerdicts', cache);
      const toolchain = verdicts.flatMap((v) => v.result.toolchain).slice(0, 3);
      const sources = verdicts.flatMap((v) => v.result.sources).slice(0, 3);
      if (toolchain.length === 0 && sources.length === 0) {
        out['no-toolchain'] = { passed: true, message: `Просмотрено слоёв: ${verdicts.length}. Ни компилятора Go, ни файлов *.go в них нет.` };
      } else {
        const parts: string[] = [];
        if (toolchain.length) parts.push(`компилятор Go (${toolchain.join(', ')})`);
        if (sources.length) parts.push(`исходники (${sources.join(', ')})`);
        out['no-toolchain'] = {
          passed: false,
          message: `В слоях образа нашлись ${parts.join(' и ')}. В итоговый этап должен попасть только скомпилированный бинарник: проверьте, с какого образа начинается последний FROM и что копирует COPY.`,
        };
      }
    } catch (err) {
      out['no-toolchain'] = { passed: false, message: `Не удалось прочитать слои образа из реестра: ${(err as Error).message}. Попробуйте отправить образ ещё раз (docker push ${REF}).` };
    }

    const config = await client.getConfig(REPO, digest).catch(() => null);
    const user: string = config?.config?.config?.User ?? '';
    out['non-root'] = isRootUser(user)
      ? {
          passed: false,
          message: user
            ? `В образе указан пользователь «${user}» — это root. Задайте непривилегированного пользователя инструкцией USER (например, USER 65532:65532). Этот пункт не обязателен.`
            : 'В образе не задан пользователь, процесс запустится от root. Добавьте в итоговый этап инструкцию USER (например, USER 65532:65532). Этот пункт не обязателен.',
        }
      : { passed: true, message: `Процесс запускается от пользователя «${user}», не от root.` };

    const probe = await probing;
    if (probe.ok && probe.status === 200) {
      const body = (probe.body ?? '').trim();
      out.runs = { passed: true, message: `Контейнер запустился и ответил на GET /healthz: 200${body ? ` «${body.slice(0, 40)}»` : ''}.` };
    } else if (probe.status !== undefined) {
      out.runs = {
        passed: false,
        message: `Контейнер ответил на GET /healthz кодом ${probe.status}, а ожидался 200. Проверьте, что запускается именно сервис из main.go и он слушает порт 8080.`,
      };
    } else {
      out.runs = {
        passed: false,
        message: `Контейнер из ${REF} не ответил на GET /healthz по порту 8080${probe.error ? `: ${probe.error.trim()}` : ' за 10 с'}. Запустите его у себя: docker run --rm -p 8080:8080 ${REF}, посмотрите docker logs. Частые причины: CMD в форме оболочки в образе без /bin/sh, неверный путь к бинарнику.`,
      };
    }
    return out;
  },
});
