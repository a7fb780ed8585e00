import type { CriterionOutcome, LabContext } from '../../checks/context.ts';
import type { Message } from '../../checks/messages.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, msg, pass, readStateFile, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

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
type RefFile = { pinned: string; message: Message } | { pinned: null; message: Message };

function readRef(file: Buffer | null): RefFile {
  if (!file) return { pinned: null, message: msg('ref.missing', { file: REF_FILE, name: NAME }) };
  const lines = file
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const m = lines.length === 1 ? PINNED_RE.exec(lines[0]) : null;
  if (m) return { pinned: m[1], message: msg('ref.ok', { file: REF_FILE, name: NAME, digest: shortDigest(m[1]) }) };
  if (lines.length === 0) return { pinned: null, message: msg('ref.empty', { file: REF_FILE, name: NAME }) };
  if (lines.length > 1) return { pinned: null, message: msg('ref.lines', { file: REF_FILE, count: lines.length, name: NAME }) };
  if (!lines[0].includes('@')) return { pinned: null, message: msg('ref.by-tag', { file: REF_FILE, line: lines[0].slice(0, 120), name: NAME }) };
  return { pinned: null, message: msg('ref.malformed', { file: REF_FILE, line: lines[0].slice(0, 120), name: NAME }) };
}

const NOT_PINNED = 'not-pinned';

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
      if (pinned === rec.original) return pass('original.ok');
      if (pinned === rec.repushed) return fail('original.repushed', { digest: shortDigest(pinned) });
      return fail('original.unknown', { digest: shortDigest(pinned) });
    },

    async resolvable(ctx, { ref }) {
      const pinned = ref.pinned;
      if (!pinned) return fail(NOT_PINNED);
      const served = await sessionRegistry(ctx).getManifest(REPO, pinned);
      return served
        ? pass('resolvable.ok', { name: NAME, digest: shortDigest(pinned) })
        : fail('resolvable.unknown', { name: NAME, digest: shortDigest(pinned) });
    },

    running(ctx, { inspect }): CriterionOutcome {
      const rec = requireState<Recorded>(ctx, 'recorded');
      if (inspect.exitCode !== 0) return fail('running.none', { file: REF_FILE });
      let c: any;
      try {
        c = (JSON.parse(inspect.stdout) as any[])[0];
      } catch {
        c = null;
      }
      if (!c) return fail('running.unreadable');
      const imageId: string = c.Image ?? '';
      const configImage: string = c.Config?.Image ?? '';
      const isOriginal = imageId === rec.originalConfig || imageId === rec.original;
      const isRepushed = imageId === rec.repushedConfig || imageId === rec.repushed;
      if (!isOriginal) {
        return fail(isRepushed ? 'running.repushed' : 'running.other-image', { image: configImage, file: REF_FILE });
      }
      if (!configImage.includes(`@${rec.original}`)) {
        return fail('running.by-tag', { image: configImage, file: REF_FILE });
      }
      if (c.State?.Running !== true) return fail('running.stopped', { status: c.State?.Status ?? msg('running.status-unknown') });
      return pass('running.ok', { image: configImage.replace(/@sha256:([a-f0-9]{12}).*/, '@sha256:$1…') });
    },
  },
});
