import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, msg, once, pass, recordImageId, requireState, shortDigest, type Message } from '../../checks/lab-helpers.ts';
import { ImageArchiveError, parseImageArchive, type ImageArchive } from '../../checks/image-archive.ts';

const FILE = 'transfer/shop-api.tar';
const IMAGE = 'shop/api:dev';
const MAX_BYTES = 256 * 1024 * 1024;

type Read = { ok: true; archive: ImageArchive; bytes: number } | { ok: false; message: Message };

function mb(bytes: number): Message {
  return msg('mb', { n: Number((bytes / 1024 / 1024).toFixed(1)) });
}

function sample(entries: string[]): Message | string {
  const top = [...new Set(entries.map((e) => e.split('/')[0] + (e.includes('/') ? '/' : '')))].slice(0, 6);
  return top.length ? msg('sample', { entries: top.join(', ') + (entries.length > top.length ? ', …' : '') }) : '';
}

async function readArchive(ctx: LabContext): Promise<Read> {
  const path = `${ctx.sandbox.home}/${FILE}`;
  const raw = await ctx.sandbox.readFile(path, MAX_BYTES);
  if (raw === null) {
    // Absent, a directory, or too big: ask the workstation only to word the message.
    const st = await ctx.sandbox.exec(['stat', '-c', '%F %s', path], { user: 'root', timeoutMs: 5_000 });
    if (st.exitCode === 0 && st.stdout.startsWith('directory')) {
      return { ok: false, message: msg('archive.directory', { file: FILE }) };
    }
    if (st.exitCode === 0 && /^regular/.test(st.stdout)) {
      const size = Number(st.stdout.trim().split(' ').pop());
      return { ok: false, message: msg('archive.too-big', { file: FILE, size: mb(size) }) };
    }
    return { ok: false, message: msg('archive.none', { file: FILE }) };
  }
  try {
    return { ok: true, archive: await parseImageArchive(raw), bytes: raw.length };
  } catch (err) {
    if (!(err instanceof ImageArchiveError)) throw err;
    switch (err.problem) {
      case 'not-tar':
        return { ok: false, message: msg('archive.not-tar', { file: FILE, bytes: raw.length }) };
      case 'no-manifest': {
        const rootfs = err.entries.some((e) => /^(\.\/)?(etc|bin|usr)\//.test(e));
        return {
          ok: false,
          message: msg(rootfs ? 'archive.rootfs' : 'archive.plain-tar', { file: FILE, sample: sample(err.entries) }),
        };
      }
      default:
        return { ok: false, message: msg('archive.damaged', { file: FILE, detail: err.message }) };
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
      if (!r.ok) return { passed: false, message: r.message };
      const fmt = [r.archive.hasManifestJson ? 'manifest.json' : '', r.archive.hasIndexJson ? 'index.json (OCI)' : ''].filter(Boolean);
      return pass(r.archive.compressed ? 'archive.ok-gzip' : 'archive.ok', { file: FILE, size: mb(r.bytes), fmt });
    },

    async 'contains-image'(ctx, { read }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const r = await read();
      if (!r.ok) return fail('contains.no-archive', { file: FILE });
      const img = r.archive.images.find((i) => i.configDigest === expected);
      if (img?.tags.includes(IMAGE)) {
        return pass('contains.ok', { image: IMAGE, id: shortDigest(expected) });
      }
      if (img && img.tags.length === 0) return fail('contains.no-name', { id: shortDigest(expected), image: IMAGE });
      if (img) return fail('contains.other-name', { names: img.tags.join(', '), image: IMAGE });
      const found = r.archive.images.map((i) => msg('contains.item', { names: i.tags.length ? i.tags.join(', ') : msg('contains.no-name-tag'), id: shortDigest(i.configDigest) }));
      const what = found.length ? msg(found.length > 1 ? 'contains.found-many' : 'contains.found-one', { images: found }) : msg('contains.found-none');
      return fail('contains.other', { what, image: IMAGE, id: shortDigest(expected) });
    },
  },
});
