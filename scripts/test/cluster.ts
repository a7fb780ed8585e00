/**
 * The Kubernetes step of the test command. When test files under tests/kubernetes/ run, it
 * starts the test cluster (deploy/kubernetes/cluster/up.sh: builds the binaries once, then reuses
 * them) in the background while the typecheck and the site build run, hands the tests its
 * kubeconfig and a namespace prefix of this run (RL_TEST_KUBECONFIG,
 * RL_TEST_K8S_NAMESPACE_PREFIX), and afterwards reports namespaces of the run left in the
 * cluster, stops it (down.sh) and compares the host with a snapshot taken before it started.
 *
 * RL_TEST_KUBECONFIG set beforehand names a cluster someone else runs: it is used as it is,
 * neither started nor stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeApi } from '../../tests/kubernetes/api.ts';

const root = join(new URL('.', import.meta.url).pathname, '../..');
const dir = join(root, 'deploy/kubernetes/cluster');

export interface Cluster {
  /** Waits for up.sh; answers the tests' environment, or exits the process with up.sh's log. */
  ready(): Promise<Record<string, string>>;
  /** After the tests (or a failed step): namespaces left, down.sh, host compared; what was left. */
  finish(): Promise<string[]>;
  /** For a step that fails before the tests: waits for up.sh and stops the cluster, synchronously. */
  abortSync(): void;
}

export function needsCluster(files: string[]): boolean {
  return files.some((f) => f.startsWith('tests/kubernetes/'));
}

export function startCluster(env: Record<string, string | undefined>): Cluster {
  const prefix = `rl-test-${randomBytes(3).toString('hex')}`;
  const given = process.env.RL_TEST_KUBECONFIG?.trim();
  if (given) {
    console.log(`[test] Kubernetes tests on the cluster of RL_TEST_KUBECONFIG=${given} (not started or stopped here)`);
    return {
      ready: async () => ({ RL_TEST_KUBECONFIG: given, RL_TEST_K8S_NAMESPACE_PREFIX: prefix }),
      finish: () => namespacesLeft(given, prefix),
      abortSync: () => {},
    };
  }
  if (process.getuid?.() !== 0) {
    console.error('[test] the Kubernetes tests start a test cluster, which needs root (or set RL_TEST_KUBECONFIG)');
    process.exit(1);
  }
  // A cluster a killed run left behind (daemons gone, state and host changes kept) would make
  // up.sh refuse and the host comparison fail: undo it before the snapshot. A live one is kept.
  const stale = spawnSync(join(dir, 'down.sh'), ['--if-stale'], { encoding: 'utf8', env });
  if (stale.status !== 0) {
    console.error(`[test] a Kubernetes test cluster is in the way:\n${stale.stderr.trim()}`);
    process.exit(1);
  }
  if (/cleaning up/.test(stale.stderr)) console.log(`[test] ${stale.stderr.trim().split('\n').join('\n[test] ')}`);
  const work = mkdtempSync(join(tmpdir(), 'rl-test-cluster-'));
  const snapshot = join(work, 'host-before');
  sh(join(dir, 'host-snapshot.sh'), [snapshot]);
  console.log(`\n[test] starting the Kubernetes test cluster in the background (log: ${work}/up.log)`);
  const started = Date.now();
  // The rc file says up.sh has ended, so that a synchronous abort can wait for it too.
  const up = spawn('bash', ['-c', `"${dir}/up.sh" >"${work}/kubeconfig" 2>"${work}/up.log"; echo $? >"${work}/up.rc"`], {
    stdio: 'ignore',
    env,
  });
  up.unref();
  const upRc = (): number | undefined => (existsSync(join(work, 'up.rc')) ? Number(readFileSync(join(work, 'up.rc'), 'utf8')) : undefined);
  const kubeconfigPath = (): string => readFileSync(join(work, 'kubeconfig'), 'utf8').trim().split('\n').at(-1)!;
  let stopped = false;

  const stopSync = (): string[] => {
    if (stopped) return [];
    stopped = true;
    const down = spawnSync(join(dir, 'down.sh'), { encoding: 'utf8', env });
    const left: string[] = [];
    if (down.status !== 0) left.push(`test cluster: down.sh failed:\n${down.stderr}`);
    const cmp = spawnSync(join(dir, 'host-snapshot.sh'), ['--compare', snapshot], { encoding: 'utf8' });
    if (cmp.status !== 0) left.push(`test cluster: the host differs from before it started:\n${cmp.stdout}${cmp.stderr}`);
    rmSync(work, { recursive: true, force: true });
    return left;
  };

  return {
    async ready() {
      while (upRc() === undefined) await new Promise((r) => setTimeout(r, 500));
      const log = readFileSync(join(work, 'up.log'), 'utf8');
      if (upRc() !== 0) {
        console.error(`[test] the Kubernetes test cluster did not start:\n${log.split('\n').slice(-40).join('\n')}`);
        const left = stopSync();
        if (left.length) console.error(left.join('\n'));
        process.exit(1);
      }
      const kubeconfig = kubeconfigPath();
      const summary = log.split('\n').filter((l) => /reusing binaries|built in|cluster ready|imported in/.test(l));
      console.log(`[test] Kubernetes test cluster up after ${Math.round((Date.now() - started) / 1000)} s:\n  ${summary.join('\n  ')}`);
      return { RL_TEST_KUBECONFIG: kubeconfig, RL_TEST_K8S_NAMESPACE_PREFIX: prefix };
    },
    async finish() {
      let left: string[] = [];
      if (upRc() === 0) left = await namespacesLeft(kubeconfigPath(), prefix).catch((e) => [`test cluster: ${e.message}`]);
      const t = Date.now();
      left.push(...stopSync());
      console.log(`[test] Kubernetes test cluster stopped in ${Math.round((Date.now() - t) / 1000)} s`);
      return left;
    },
    abortSync() {
      if (stopped) return;
      console.error('[test] stopping the Kubernetes test cluster');
      while (upRc() === undefined) spawnSync('sleep', ['1']);
      for (const l of stopSync()) console.error(l);
    },
  };
}

/** Namespaces of this run still in the cluster, after giving those being deleted a minute. */
async function namespacesLeft(kubeconfig: string, prefix: string): Promise<string[]> {
  const k = kubeApi(kubeconfig);
  const deadline = Date.now() + 60_000;
  let left: string[] = [];
  do {
    const r = await k.request('GET', '/api/v1/namespaces');
    if (r.status !== 200) return [`test cluster: cannot list namespaces (${r.status})`];
    left = r.body.items.map((n: any) => n.metadata.name as string).filter((n: string) => n.startsWith(`${prefix}-`));
    if (left.length === 0) return [];
    await new Promise((res) => setTimeout(res, 2_000));
  } while (Date.now() < deadline);
  return left.map((n) => `kubernetes namespace ${n}`);
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`[test] ${cmd} failed`);
    process.exit(1);
  }
}
