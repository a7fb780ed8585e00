import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, once, pass, recordImageId, requireState, shortDigest } from '../../checks/lab-helpers.ts';
import { ImageArchiveError, parseImageArchive, type ImageArchive } from '../../checks/image-archive.ts';

const FILE = 'transfer/shop-api.tar';
const IMAGE = 'shop/api:dev';
const MAX_BYTES = 256 * 1024 * 1024;

type Read = { ok: true; archive: ImageArchive; bytes: number } | { ok: false; message: string };

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} МБ`;
}

function sample(entries: string[]): string {
  const top = [...new Set(entries.map((e) => e.split('/')[0] + (e.includes('/') ? '/' : '')))].slice(0, 6);
  return top.length ? ` (в нём: ${top.join(', ')}${entries.length > top.length ? ', …' : ''})` : '';
}

async function readArchive(ctx: LabContext): Promise<Read> {
  const path = `${ctx.sandbox.home}/${FILE}`;
  const raw = await ctx.sandbox.readFile(path, MAX_BYTES);
  if (raw === null) {
    // Absent, a directory, or too big: ask the workstation only to word the message.
    const st = await ctx.sandbox.exec(['stat', '-c', '%F %s', path], { user: 'root', timeoutMs: 5_000 });
    if (st.exitCode === 0 && st.stdout.startsWith('directory')) {
      return { ok: false, message: `~/${FILE} — это каталог, а нужен файл-архив. Удалите каталог и сохраните образ в файл с этим именем.` };
    }
    if (st.exitCode === 0 && /^regular/.test(st.stdout)) {
      const size = Number(st.stdout.trim().split(' ').pop());
      return { ok: false, message: `Файл ~/${FILE} слишком большой (${mb(size)}): образ shop/api:dev весит несколько мегабайт. Похоже, в архив попали лишние образы — сохраните только shop/api:dev.` };
    }
    return { ok: false, message: `Файла ~/${FILE} нет. Сохраните образ shop/api:dev в этот файл (каталог ~/transfer нужно создать).` };
  }
  try {
    return { ok: true, archive: await parseImageArchive(raw), bytes: raw.length };
  } catch (err) {
    if (!(err instanceof ImageArchiveError)) throw err;
    switch (err.problem) {
      case 'not-tar':
        return { ok: false, message: `~/${FILE} — не tar-архив (${raw.length} байт). Архив образа создаёт docker save; переименование или сжатие другим форматом не подходит.` };
      case 'no-manifest': {
        const rootfs = err.entries.some((e) => /^(\.\/)?(etc|bin|usr)\//.test(e));
        return {
          ok: false,
          message: rootfs
            ? `~/${FILE} — tar с файловой системой контейнера${sample(err.entries)}, а не архив образа: в нём нет manifest.json и index.json. Так сохраняет docker export — без слоёв, истории и имени образа. Нужна команда, которая сохраняет сам образ.`
            : `~/${FILE} — обычный tar${sample(err.entries)}, а не архив образа: в нём нет manifest.json и index.json. Архив образа создаёт docker save.`,
        };
      }
      default:
        return { ok: false, message: `~/${FILE} похож на архив образа, но он повреждён или неполон (${err.message}). Сохраните образ заново.` };
    }
  }
}

export default defineLab({
  async record(ctx) {
    await recordImageId(ctx, 'configDigest', IMAGE);
  },

  prepare(ctx: LabContext) {
    return { read: once(() => readArchive(ctx)) };
  },

  criteria: {
    async archive(_ctx, { read }) {
      const r = await read();
      if (!r.ok) return fail(r.message);
      const fmt = [r.archive.hasManifestJson ? 'manifest.json' : '', r.archive.hasIndexJson ? 'index.json (OCI)' : ''].filter(Boolean).join(' и ');
      return pass(`~/${FILE} — архив образа${r.archive.compressed ? ', сжатый gzip' : ''} (${mb(r.bytes)}, ${fmt}).`);
    },

    async 'contains-image'(ctx, { read }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const r = await read();
      if (!r.ok) return fail(`Проверить содержимое нельзя, пока ~/${FILE} не архив образа (см. пункт выше).`);
      const img = r.archive.images.find((i) => i.configDigest === expected);
      if (img?.tags.includes(IMAGE)) {
        return pass(`В архиве образ ${IMAGE} (ID ${shortDigest(expected)}) с его именем: после docker load он появится под тем же именем.`);
      }
      if (img && img.tags.length === 0) {
        return fail(`Нужный образ в архиве есть (ID ${shortDigest(expected)}), но без имени: похоже, его сохраняли по IMAGE ID. После docker load он появится как <none>:<none>. Сохраните образ по имени ${IMAGE}.`);
      }
      if (img) {
        return fail(`Нужный образ в архиве есть, но под именем ${img.tags.join(', ')}, а не ${IMAGE}. Сохраните его именно как ${IMAGE}, чтобы после загрузки имя совпало.`);
      }
      const found = r.archive.images.map((i) => `${i.tags.length ? i.tags.join(', ') : '<без имени>'} (ID ${shortDigest(i.configDigest)})`);
      return fail(
        `В архиве ${found.length ? `образ${found.length > 1 ? 'ы' : ''} ${found.join('; ')}` : 'нет ни одного образа'}, а нужен ${IMAGE} (ID ${shortDigest(expected)}). ` +
          `Сохраните в файл именно ${IMAGE}.`,
      );
    },
  },
});
