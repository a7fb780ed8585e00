/**
 * The test cluster for tests/kubernetes/*.test.ts (deploy/kubernetes/cluster/).
 *
 * `kubeconfig()` answers, in this order:
 *  1. RL_TEST_KUBECONFIG: set by the test command (scripts/test/cluster.ts), which starts the
 *     cluster before `node --test` and stops it afterwards; or by an operator naming a cluster;
 *  2. a cluster already running from deploy/kubernetes/cluster/up.sh (left running);
 *  3. otherwise it starts one now (up.sh: builds or reuses the binaries) and stops it with
 *     down.sh when this test file ends (`after`), also when its tests fail.
 * Case 3 is for running one file by hand; run several through `npm test` (TEST_FILTER).
 *
 * `testNamespace(name)`: a namespace name under RL_TEST_K8S_NAMESPACE_PREFIX, which the test
 * command checks is empty (no namespace of its run left) after the tests.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kubeApi } from './api.ts';

export const CLUSTER_DIR = fileURLToPath(new URL('../../deploy/kubernetes/cluster/', import.meta.url));
const STATE = process.env.K8S_STATE || '/var/lib/registry-lab-k8s';
/** Where up.sh installs the workstation's seccomp profile, relative to the kubelet's seccomp root. */
export const SECCOMP_PROFILE = 'registry-lab/rootless-engine.json';

let resolved: Promise<string> | undefined;
let startedHere = false;

export function kubeconfig(): Promise<string> {
  resolved ??= resolve();
  return resolved;
}

export function namespacePrefix(): string {
  return process.env.RL_TEST_K8S_NAMESPACE_PREFIX?.trim() || 'rl-test';
}

/** `<prefix>-<name>-<random>`: unique per call, at most 63 characters. */
export function testNamespace(name: string): string {
  return `${namespacePrefix()}-${name}-${randomBytes(3).toString('hex')}`.slice(0, 63).replace(/-+$/, '');
}

async function resolve(): Promise<string> {
  const given = process.env.RL_TEST_KUBECONFIG?.trim();
  if (given) return given;
  const running = join(STATE, 'admin.kubeconfig');
  if (existsSync(join(STATE, 'pids', 'kube-apiserver.pid')) && existsSync(running) && (await readyz(running))) return running;
  startedHere = true;
  const out = await run(join(CLUSTER_DIR, 'up.sh'));
  return out.trim().split('\n').at(-1)!;
}

after(async () => {
  if (startedHere) await run(join(CLUSTER_DIR, 'down.sh'));
});

async function readyz(path: string): Promise<boolean> {
  try {
    return (await kubeApi(path).request('GET', '/readyz')).status === 200;
  } catch {
    return false;
  }
}

/** Runs a cluster script; its log (stderr) goes to ours, its stdout is the answer. */
function run(script: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(script, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${script} exited with ${code}`))));
  });
}
