import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { dropLabTags, fail, msg, pass, sessionRegistry, shortDigest, type Message } from '../../checks/lab-helpers.ts';
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

function mb(bytes: number): Message {
  return msg('mb', { n: Number((bytes / 1024 / 1024).toFixed(1)) });
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
  return p.manifest ? null : fail('not-pushed', { ref: REF });
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
      if (p.unreadable) return fail('pushed.unreadable', { ref: REF, detail: p.unreadable });
      if (!p.manifest) return fail('pushed.none', { ref: REF });
      return pass('pushed.ok', { ref: REF, digest: shortDigest(p.manifest.digest) });
    },

    small(_ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const size = p.client.layersSize(p.manifest);
      const layers = Array.isArray(p.manifest.json?.layers) ? p.manifest.json.layers.length : 0;
      if (size <= MAX_BYTES) return pass('small.ok', { size: mb(size), layers });
      return fail('small.too-big', { size: mb(size), layers });
    },

    async 'no-toolchain'(ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      // Layers are content-addressed: cache verdicts by layer digest across checks.
      const cache = ctx.state.get<Record<string, LayerVerdict>>('layerVerdicts') ?? {};
      let verdicts;
      try {
        verdicts = await scanLayers(p.client, REPO, p.manifest.json, inspectLayer, cache);
      } catch (err) {
        return fail('no-toolchain.unreadable', { detail: (err as Error).message, ref: REF });
      }
      ctx.state.set('layerVerdicts', cache);
      const toolchain = verdicts.flatMap((v) => v.result.toolchain).slice(0, 3);
      const sources = verdicts.flatMap((v) => v.result.sources).slice(0, 3);
      if (toolchain.length === 0 && sources.length === 0) return pass('no-toolchain.ok', { layers: verdicts.length });
      const parts: Message[] = [];
      if (toolchain.length) parts.push(msg('no-toolchain.compiler', { paths: toolchain.join(', ') }));
      if (sources.length) parts.push(msg('no-toolchain.sources', { paths: sources.join(', ') }));
      return fail('no-toolchain.found', { parts });
    },

    async runs(ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const probe = await ctx.sandbox.probeImage(REF, { port: 8080, path: '/healthz', timeoutMs: 10_000 });
      if (probe.ok && probe.status === 200) {
        const body = (probe.body ?? '').trim();
        return pass('runs.ok', { body: body ? msg('runs.body', { body: body.slice(0, 40) }) : '' });
      }
      if (probe.status !== undefined) return fail('runs.status', { status: probe.status });
      return fail('runs.no-answer', { ref: REF, why: probe.error ? msg('runs.why', { error: probe.error }) : msg('runs.why-timeout') });
    },

    async 'non-root'(_ctx, p) {
      if (!p.manifest) return notPushed(p)!;
      const config = await p.client.getConfig(REPO, p.manifest.digest);
      const user: string = config?.config?.config?.User ?? '';
      if (!isRootUser(user)) return pass('non-root.ok', { user });
      return user ? fail('non-root.root', { user }) : fail('non-root.none');
    },
  },
});
