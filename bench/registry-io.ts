/**
 * Registry traffic of a learner, timed inside a workstation (issues 7 and 19: what the rootless
 * boundary costs): `docker push` of a fresh 100 MB image to localhost:5000 and `docker pull
 * golang:1.24` through the mirror. `registryIoComparison` runs both in rootless sandboxes (one per
 * user-mode network asked for: slirp4netns, pasta) and in the root-equivalent workstation
 * (bench/root-workstation.ts) in the same run, interleaved round by round so that a change of load
 * hits every side alike, and reports the medians and the ratios rootless / root.
 *
 *   Standalone: node bench/registry-io.ts   (BENCH_IO_ROUNDS, BENCH_IO_NETS, BENCH_IO_MB)
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { dockerProviderFor } from '../runner/src/backends.ts';
import { loadConfig } from '../runner/src/config.ts';
import { startRootWorkstation, type Exec, type RootWorkstation } from './root-workstation.ts';
import { median } from './stats.ts';

type Provider = Awaited<ReturnType<typeof dockerProviderFor>>;
export type Net = 'slirp4netns' | 'pasta';

const timed = (cmd: string) => `s=$(date +%s%N); ${cmd} >/dev/null || exit 1; e=$(date +%s%N); echo "ms=$(( (e - s) / 1000000 ))"`;
const PULL_IMAGE = 'golang:1.24';

async function measure(exec: Exec, setup: string, cmd: string): Promise<number> {
  if (setup) {
    const s = await exec(setup, { timeoutMs: 300_000 });
    if (s.exitCode !== 0) throw new Error(`bench setup failed: ${(s.stderr || s.stdout).slice(-500)}`);
  }
  const r = await exec(timed(cmd), { timeoutMs: 600_000 });
  const m = /ms=(\d+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new Error(`bench "${cmd}" failed: ${(r.stderr || r.stdout).slice(-500)}`);
  return Number(m[1]);
}

/** A fresh image of `mb` random MiB (new blob each round: a registry that has it answers "exists"). */
export function pushOnce(exec: Exec, round: number, mb = 100): Promise<number> {
  const tag = `localhost:5000/bench/big:${round}`;
  return measure(
    exec,
    `mkdir -p /tmp/bench && cd /tmp/bench && head -c ${mb}M /dev/urandom > blob && printf 'FROM busybox\\nCOPY blob /blob\\n' > Dockerfile && docker build -q -t ${tag} . >/dev/null && rm -f blob`,
    `docker push -q ${tag}`,
  );
}

export function pullOnce(exec: Exec): Promise<number> {
  return measure(exec, `docker image rm -f ${PULL_IMAGE} >/dev/null 2>&1; true`, `docker pull -q ${PULL_IMAGE}`);
}

const cleanup = (exec: Exec) => exec(`docker image ls -q localhost:5000/bench/big | xargs -r docker image rm -f >/dev/null 2>&1; docker image rm -f ${PULL_IMAGE} >/dev/null 2>&1; rm -rf /tmp/bench; true`, { timeoutMs: 120_000 });

/** One push and one pull in an existing sandbox (the figures `npm run bench` kept before issue 19). */
export async function registryIo(provider: Provider, id: string, mb = 100): Promise<{ push100MbMs: number; pullGolangMs: number }> {
  const exec: Exec = (s, o) => provider.ops(id).exec(s, o);
  try {
    return { push100MbMs: await pushOnce(exec, 1, mb), pullGolangMs: await pullOnce(exec) };
  } finally {
    await cleanup(exec).catch(() => {});
  }
}

/** A sandbox that fails to start on a loaded host is retried (3 tries), never fatal to the bench. */
export async function createWithRetry(provider: Provider, id: string, tries = 3, log: (s: string) => void = console.log): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await provider.create(id);
      return;
    } catch (err) {
      await provider.destroy(id).catch(() => {});
      log(`sandbox ${id.slice(0, 8)} failed to start (try ${attempt} of ${tries}): ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
      if (attempt >= tries) throw err;
    }
  }
}

/** What a running comparison would leave behind if the bench had to exit now (its time guard). */
export const pendingCleanups = new Set<() => Promise<void>>();

export interface RegistryIoComparison {
  rounds: number;
  pushMiB: number;
  pullImage: string;
  /** Per side: samples and median (ms). Sides: `root`, `rootless-slirp4netns`, `rootless-pasta`. */
  sides: Record<string, { pushMs: number[]; pullMs: number[]; pushMedianMs: number; pullMedianMs: number; storageDriver?: string; startMs?: number }>;
  /** rootless / root, medians (issue 19's bar: ≤ 1.2). */
  ratios: Record<string, { push: number; pull: number }>;
  errors: string[];
}

export async function registryIoComparison(opts: { rounds?: number; nets?: Net[]; mb?: number; log?: (s: string) => void } = {}): Promise<RegistryIoComparison> {
  const rounds = opts.rounds ?? 2;
  const nets = opts.nets?.length ? opts.nets : (['slirp4netns'] as Net[]);
  const mb = opts.mb ?? 100;
  const log = opts.log ?? ((s: string) => console.log(`[registry-io] ${s}`));
  const docker = new Docker();
  const errors: string[] = [];
  const sandboxes: { side: string; provider: Provider; id: string; exec: Exec }[] = [];
  let root: RootWorkstation | undefined;
  const sides: RegistryIoComparison['sides'] = {};
  const cleanupNow = async () => {
    await root?.stop();
    for (const s of sandboxes) await s.provider.shutdown().catch((e: unknown) => errors.push(`cleanup: ${String(e)}`));
  };
  pendingCleanups.add(cleanupNow);
  try {
    for (const net of nets) {
      const env = { ...process.env, RUNNER_ID: `bench-io-${net.slice(0, 5)}-${randomBytes(3).toString('hex')}`, WARM_POOL_SIZE: '0', WORKSTATION_NET: net };
      const provider = await dockerProviderFor(loadConfig(env));
      const id = randomBytes(16).toString('base64url');
      sandboxes.push({ side: `rootless-${net}`, provider, id, exec: (s, o) => provider.ops(id).exec(s, o) });
      await provider.init();
      const t0 = performance.now();
      await createWithRetry(provider, id, 3, log);
      sides[`rootless-${net}`] = { pushMs: [], pullMs: [], pushMedianMs: NaN, pullMedianMs: NaN, startMs: Math.round(performance.now() - t0) };
    }
    const first = sandboxes[0]!;
    const [ws] = await docker.listContainers({ filters: { label: [`registry-lab.session=${first.id}`, 'registry-lab.role=workstation'] } });
    if (!ws) throw new Error('the rootless workstation is not on the engine');
    const registryImage = loadConfig(process.env).registryImage;
    for (let attempt = 1; !root; attempt++) {
      try {
        root = await startRootWorkstation(docker, ws.Id, { registry: registryImage });
      } catch (err) {
        log(`root-equivalent workstation failed to start (try ${attempt} of 3): ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
        if (attempt >= 3) throw err;
      }
    }
    sides.root = { pushMs: [], pullMs: [], pushMedianMs: NaN, pullMedianMs: NaN, startMs: root.startMs, storageDriver: root.storageDriver };
    const all: { side: string; exec: Exec }[] = [...sandboxes, { side: 'root', exec: root.exec }];
    for (const s of sandboxes) {
      const d = await s.exec('docker info --format "{{.Driver}}"', { timeoutMs: 30_000 });
      sides[s.side]!.storageDriver = d.stdout.trim();
    }
    log(`sides: ${all.map((s) => `${s.side} (${sides[s.side]!.storageDriver})`).join(', ')}; ${rounds} round(s)`);
    for (let r = 1; r <= rounds; r++) {
      // Alternate who goes first, so neither side always meets a warmer page cache.
      const order = r % 2 ? all : [...all].reverse();
      for (const s of order) {
        try {
          const ms = await pushOnce(s.exec, r, mb);
          sides[s.side]!.pushMs.push(ms);
          log(`round ${r}: ${s.side} push ${mb} MiB ${ms} ms`);
        } catch (err) {
          errors.push(`${s.side} push, round ${r}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      for (const s of order) {
        try {
          const ms = await pullOnce(s.exec);
          sides[s.side]!.pullMs.push(ms);
          log(`round ${r}: ${s.side} pull ${PULL_IMAGE} ${ms} ms`);
        } catch (err) {
          errors.push(`${s.side} pull, round ${r}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    pendingCleanups.delete(cleanupNow);
    await cleanupNow();
  }
  const ratios: RegistryIoComparison['ratios'] = {};
  for (const v of Object.values(sides)) {
    v.pushMedianMs = Math.round(median(v.pushMs));
    v.pullMedianMs = Math.round(median(v.pullMs));
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  for (const [side, v] of Object.entries(sides)) {
    if (side === 'root' || !sides.root) continue;
    ratios[side] = { push: r2(v.pushMedianMs / sides.root.pushMedianMs), pull: r2(v.pullMedianMs / sides.root.pullMedianMs) };
  }
  for (const e of errors) log(`error: ${e}`);
  return { rounds, pushMiB: mb, pullImage: PULL_IMAGE, sides, ratios, errors };
}

export function parseNets(v: string | undefined): Net[] {
  return (v ?? 'slirp4netns').split(',').map((s) => s.trim()).filter((s): s is Net => s === 'slirp4netns' || s === 'pasta');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await registryIoComparison({ rounds: Number(process.env.BENCH_IO_ROUNDS) || 2, nets: parseNets(process.env.BENCH_IO_NETS), mb: Number(process.env.BENCH_IO_MB) || 100 });
  console.log(JSON.stringify(r, null, 2));
  process.exit(r.errors.length ? 1 : 0);
}
