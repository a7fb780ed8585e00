/**
 * Registry traffic of a learner, timed inside their workstation (issue 7: what the rootless
 * boundary costs): `docker push` of a 100 MB image to localhost:5000 (through the forwarder into
 * the rootless engine's namespace and slirp4netns) and `docker pull golang:1.24` through the mirror.
 */
import type { SandboxProvider } from '../runner/src/docker/provider.ts';

const timed = (cmd: string) => `s=$(date +%s%N); ${cmd} >/dev/null || exit 1; e=$(date +%s%N); echo "ms=$(( (e - s) / 1000000 ))"`;

async function measure(provider: SandboxProvider, id: string, setup: string, cmd: string): Promise<number> {
  const ops = provider.ops(id);
  if (setup) {
    const s = await ops.exec(setup, { timeoutMs: 300_000 });
    if (s.exitCode !== 0) throw new Error(`bench setup failed: ${s.stderr.slice(-500)}`);
  }
  const r = await ops.exec(timed(cmd), { timeoutMs: 600_000 });
  const m = /ms=(\d+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new Error(`bench "${cmd}" failed: ${r.stderr.slice(-500)}`);
  return Number(m[1]);
}

export async function registryIo(provider: SandboxProvider, id: string): Promise<{ push100MbMs: number; pullGolangMs: number }> {
  const push100MbMs = await measure(
    provider,
    id,
    "mkdir -p /tmp/bench && cd /tmp/bench && head -c 100M /dev/urandom > blob && printf 'FROM busybox\\nCOPY blob /blob\\n' > Dockerfile && docker build -q -t localhost:5000/bench/big:1 . >/dev/null",
    'docker push -q localhost:5000/bench/big:1',
  );
  const pullGolangMs = await measure(provider, id, 'docker image rm -f golang:1.24 >/dev/null 2>&1; true', 'docker pull -q golang:1.24');
  await provider.ops(id).exec('docker image rm -f golang:1.24 localhost:5000/bench/big:1 >/dev/null 2>&1; rm -rf /tmp/bench', { timeoutMs: 60_000 });
  return { push100MbMs, pullGolangMs };
}
