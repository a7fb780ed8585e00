import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { createDockerProvider, DEFAULT_LIMITS } from '../../runner/src/docker/index.ts';
import { LABEL } from '../../runner/src/docker/labels.ts';
import { CPU_SHARES } from '../../runner/src/docker/sandbox.ts';
import type { ShellHandle } from '../../runner/src/sandbox/provider.ts';

const runnerId = `t-docker-${process.pid}-${randomBytes(3).toString('hex')}`;
const images = { workstation: 'registry-lab/workstation:2', registry: 'registry-lab/registry:2', mirror: 'registry-lab/mirror:latest' };
const docker = new Docker();

/** Types `input` into a shell and collects its output until `until` matches (or fails after `ms`). */
async function shellSays(h: ShellHandle, input: string, until: RegExp, ms = 30_000): Promise<string> {
  let out = '';
  const onData = (d: Buffer) => (out += d.toString('utf8'));
  h.stream.on('data', onData);
  h.stream.write(input);
  const t0 = Date.now();
  while (!until.test(out)) {
    if (Date.now() - t0 > ms) throw new Error(`no ${until} in ${JSON.stringify(out.slice(-500))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  h.stream.off('data', onData);
  return out;
}

async function objectsOf(runner: string, session?: string) {
  const label = [`${LABEL.runner}=${runner}`, ...(session ? [`${LABEL.session}=${session}`] : [])];
  const [c, n, v] = await Promise.all([
    docker.listContainers({ all: true, filters: { label } }),
    docker.listNetworks({ filters: { label } }),
    docker.listVolumes({ filters: { label } }),
  ]);
  return c.length + n.length + (v.Volumes ?? []).length;
}

describe('docker sandbox provider', { timeout: 300_000 }, () => {
  const provider = createDockerProvider({ runnerId, images, limits: DEFAULT_LIMITS });
  const id = randomBytes(16).toString('base64url');

  before(async () => {
    await provider.init();
    await provider.create(id);
  });
  after(async () => {
    await provider.shutdown();
    assert.equal(await objectsOf(runnerId), 0, 'shutdown leaves nothing behind');
  });

  it('runs busybox pulled through the mirror and pushes to the private registry', async () => {
    const ops = provider.ops(id);
    const run = await ops.exec('docker run --rm busybox echo hi', { timeoutMs: 60_000 });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /^hi$/m);
    const push = await ops.exec('docker tag busybox localhost:5000/smoke/bb:1 && docker push -q localhost:5000/smoke/bb:1', { timeoutMs: 60_000 });
    assert.equal(push.exitCode, 0, push.stderr);
    const res = await fetch(`${ops.registryUrl()}/v2/smoke/bb/tags/list`);
    assert.deepEqual(await res.json(), { name: 'smoke/bb', tags: ['1'] });
  });

  it('gives the workstation its own engine, never the host socket, and limits on every container', async () => {
    const inner = await provider.ops(id).exec("docker info --format '{{.ID}}'");
    const host = await docker.info();
    assert.equal(inner.exitCode, 0, inner.stderr);
    assert.notEqual(inner.stdout.trim(), host.ID);
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${id}`] } });
    assert.ok(containers.length >= 2);
    for (const c of containers) {
      const info = await docker.getContainer(c.Id).inspect();
      assert.ok(!info.Mounts.some((m) => m.Source?.endsWith('docker.sock')), `${c.Names[0]} sees a docker socket`);
      assert.ok((info.HostConfig.Memory ?? 0) > 0, `${c.Names[0]} has no memory limit`);
      assert.ok((info.HostConfig.PidsLimit ?? 0) > 0, `${c.Names[0]} has no pids limit`);
      assert.equal(info.HostConfig.LogConfig?.Config?.['max-size'], DEFAULT_LIMITS.logMaxSize);
      assert.equal(info.HostConfig.Privileged, false);
    }
    // Builds and inner containers run at nice 10, the learner's shell at 0 (interactive work first).
    const nice = await provider.ops(id).exec("echo \"shell=$(ps -o ni= -p $$ | tr -d ' ') engine=$(ps -o ni= -C dockerd | head -1 | tr -d ' ') inner=$(docker run --rm busybox sh -c 'cut -d\" \" -f19 /proc/self/stat')\"", { timeoutMs: 60_000 });
    assert.match(nice.stdout, /shell=0 engine=10 inner=10/, nice.stdout + nice.stderr);
  });

  it('an engine whose containerd the learner kills gets it back (started before dockerd, by the image, not by dockerd)', async () => {
    const ops = provider.ops(id);
    const killed = await ops.exec('pkill -x containerd && echo killed');
    assert.match(killed.stdout, /killed/, killed.stderr);
    const back = await ops.exec('for i in $(seq 1 40); do docker run --rm busybox echo back 2>/dev/null && exit 0; sleep 0.5; done; exit 1', { timeoutMs: 60_000 });
    assert.equal(back.exitCode, 0, back.stderr);
    assert.match(back.stdout, /^back$/m);
    const log = await ops.exec('grep -c "containerd ended; starting it again" "$XDG_RUNTIME_DIR/dockerd.log"');
    assert.equal(log.stdout.trim(), '1', log.stderr);
  });

  it('a terminal reaches its shell through the runner\'s socket, not the engine\'s exec stream: size, resize, input, output, exit code', async () => {
    const h = await provider.openShell(id, { cols: 91, rows: 27 });
    // The shell's parent is sandbox-term (images/workstation/sandbox-term), wired to the runner's socket.
    const first = await shellSays(h, 'echo "size=$(stty size) parent=$(ps -o comm= -p $PPID) tty=$(tty)"\r', /size=\d+ \d+ parent=[\w-]+ tty=\S+/);
    assert.match(first, /size=27 91 parent=sandbox-term tty=\/dev\/pts\/\d+/);
    await h.resize(120, 33);
    const resized = await shellSays(h, 'echo "now=$(stty size)"\r', /now=\d+ \d+/);
    assert.match(resized, /now=33 120/);
    // Output in bulk arrives whole (the socket is the stream; nothing frames it).
    const bulk = await shellSays(h, 'head -c 300000 /dev/zero | base64 -w 0 | wc -c; echo "bulk-$((6*7))"\r', /bulk-42/);
    assert.match(bulk, /^400000\r?$/m);
    h.stream.write('exit 7\r');
    assert.equal(await h.exited, 7);
    await h.close();
    // The token went to sandbox-term only: not into the shell's environment.
    const env = await provider.openShell(id, { cols: 80, rows: 24 });
    const seen = await shellSays(env, 'echo "token=<$(printenv REGISTRY_LAB_TERM_TOKEN || echo none)>"\r', /token=<\w*>/);
    assert.match(seen, /token=<none>/);
    await env.close();
  });

  it('the terminal socket takes abuse from the learner\'s side: junk, wrong tokens, a flood of connections, writes; terminals still open', async () => {
    const ops = provider.ops(id);
    const sock = '/run/registry-lab/term/t.sock';
    const abuse = await ops.exec(
      [
        // Read-only for the learner: the socket cannot be replaced (or redirected by a link).
        `touch /run/registry-lab/term/x 2>/dev/null && echo WROTE; ln -sf /etc/passwd /run/registry-lab/term/t.sock 2>/dev/null && echo LINKED`,
        `head -c 2000000 /dev/urandom | timeout 10 socat -u - UNIX-CONNECT:${sock} 2>/dev/null; echo junk=$?`,
        `printf '%032d d\\n' 0 | timeout 10 socat - UNIX-CONNECT:${sock} 2>/dev/null; echo token=$?`,
        // 200 at once, each holding its connection open as long as it may.
        `for i in $(seq 200); do timeout 8 socat -u EXEC:'sleep 8' UNIX-CONNECT:${sock} 2>/dev/null & done; wait; echo flood-done`,
      ].join('\n'),
      { timeoutMs: 90_000 },
    );
    assert.doesNotMatch(abuse.stdout, /WROTE|LINKED/);
    assert.match(abuse.stdout, /flood-done/);
    const h = await provider.openShell(id, { cols: 80, rows: 24 });
    const out = await shellSays(h, 'echo "parent=$(ps -o comm= -p $PPID)"\r', /parent=[\w-]+/);
    assert.match(out, /parent=sandbox-term/);
    await h.close();
  });

  it('/var/run/docker.sock is the learner\'s own rootless engine: for tools without DOCKER_HOST, skopeo docker-daemon:, and a container given the socket', async () => {
    const ops = provider.ops(id);
    const engine = await ops.exec(`docker info --format '{{.ID}}' && DOCKER_HOST= docker info --format '{{.ID}} {{.SecurityOptions}}'`, { user: 'learner' });
    assert.equal(engine.exitCode, 0, engine.stderr);
    const [viaHost, viaSocket] = engine.stdout.trim().split('\n');
    assert.equal(viaSocket.split(' ')[0], viaHost, '/var/run/docker.sock reaches the engine DOCKER_HOST names');
    assert.match(viaSocket, /rootless/);
    const copy = await ops.exec(
      'docker pull -q busybox >/dev/null && skopeo copy -q --dest-tls-verify=false docker-daemon:busybox:latest docker://localhost:5000/smoke/skopeo:1',
      { user: 'learner', timeoutMs: 120_000 },
    );
    assert.equal(copy.exitCode, 0, copy.stderr);
    assert.deepEqual(await (await fetch(`${ops.registryUrl()}/v2/smoke/skopeo/tags/list`)).json(), { name: 'smoke/skopeo', tags: ['1'] });
    // No docker:cli offline: the workstation's own CLI in the mirror's debian, as a CI job's image would be.
    const inner = await ops.exec(
      `d=$(mktemp -d) && cp /usr/bin/docker "$d/" && printf 'FROM debian:trixie-slim\\nCOPY docker /usr/local/bin/\\n' > "$d/Dockerfile" && docker build -q -t sock-cli "$d" >/dev/null && ` +
        `docker run --rm -v /var/run/docker.sock:/var/run/docker.sock sock-cli docker info --format '{{.ID}}'; rc=$?; docker image rm -f sock-cli >/dev/null; rm -rf "$d"; exit $rc`,
      { user: 'learner', timeoutMs: 180_000 },
    );
    assert.equal(inner.exitCode, 0, inner.stderr);
    assert.equal(inner.stdout.trim(), viaHost, 'a container given /var/run/docker.sock talks to the learner\'s engine');
  });

  it('builds with BuildKit FROM an image the engine does not have yet (pulled through the mirror)', async () => {
    const r = await provider.ops(id).exec(
      `mkdir -p /tmp/bk && cd /tmp/bk && printf 'FROM debian:trixie-slim\\nRUN echo built > /built\\n' > Dockerfile && docker image rm -f debian:trixie-slim >/dev/null 2>&1; DOCKER_BUILDKIT=1 docker build -q -t bk:1 . && docker run --rm bk:1 cat /built`,
      { timeoutMs: 120_000 },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /built/);
  });

  it('works as the learner, with no way to root: sudo runs as the learner or refuses', async () => {
    const ops = provider.ops(id);
    const r = await ops.exec('id -un; pwd; sudo -n id -u');
    const [name, dir, uid] = r.stdout.trim().split('\n');
    assert.deepEqual([name, dir], ['learner', '/home/learner']);
    assert.ok(Number(uid) >= 200_000, `a uid of the session's own (session-user.ts), not the image's 1000: ${uid}`);
    const root = await ops.exec('sudo -u root id -u', { user: 'root' });
    assert.notEqual(root.exitCode, 0);
    assert.match(root.stderr, /no root in this sandbox/);
    const suid = await ops.exec('find / -xdev -type f -perm /6000 2>/dev/null | wc -l');
    assert.equal(suid.stdout.trim(), '0', 'no setuid/setgid program in the workstation');
  });

  it('sets its own egress rules as root, then only the learner runs: no NET_ADMIN left, the rules again after a restart, the starting CPU weight dropped', async () => {
    const ws = docker.getContainer(`rl-${id}-ws`);
    const status = await provider.ops(id).exec('grep -E "^(Uid|CapEff|CapBnd):" /proc/1/status; ps -eo user= | sort -u');
    const uid = (await provider.ops(id).exec('id -u')).stdout.trim();
    assert.match(status.stdout, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), status.stdout);
    assert.match(status.stdout, /^CapEff:\s+0+$/m);
    const bounding = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(status.stdout)![1]}`);
    assert.equal(bounding & (1n << 12n), 0n, 'NET_ADMIN (bit 12) is gone from the bounding set');
    assert.ok(bounding & (1n << 7n), 'SETUID stays (newuidmap\'s file capability)');
    assert.doesNotMatch(status.stdout, /^root$/m, 'no process of root');
    assert.equal((await ws.inspect()).HostConfig.CpuShares, CPU_SHARES.ready);
    assert.equal((await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${id}`, `${LABEL.role}=egress`] } })).length, 0, 'no helper container');
    // As the operator (a root exec, which the runner never makes): the chain and OUTPUT's jump to it.
    const rules = async () => {
      const e = await ws.exec({ Cmd: ['sh', '-c', 'iptables -S OUTPUT; iptables -S RL-EGRESS | grep -c REJECT'], User: '0:0', Env: ['XTABLES_LOCKFILE=/tmp/.operator.lock'], AttachStdout: true, AttachStderr: true });
      const stream = await e.start({});
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      await new Promise((r) => stream.on('end', r));
      return Buffer.concat(chunks).toString('latin1');
    };
    assert.match(await rules(), /-A OUTPUT -j RL-EGRESS[\s\S]*\b1[0-9]\b/);
    const learner = await provider.ops(id).exec('XTABLES_LOCKFILE=/tmp/x iptables -F RL-EGRESS');
    assert.notEqual(learner.exitCode, 0, 'the learner cannot flush them');
    await ws.restart({ t: 5 });
    const t0 = Date.now();
    while (!/\[sandbox\] ready[\s\S]*\[sandbox\] ready/.test((await ws.logs({ stdout: true, stderr: true })).toString('latin1'))) {
      assert.ok(Date.now() - t0 < 90_000, 'the restarted workstation is ready again');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(await rules(), /-A OUTPUT -j RL-EGRESS[\s\S]*\b1[0-9]\b/, 'a workstation started again has its rules again');
  });

  it('copies files in as the learner and reads them back', async () => {
    const ops = provider.ops(id);
    await ops.copyIn('/home/learner/smoke', [{ path: 'a/b.txt', content: 'привет\n' }, { path: 'run.sh', content: 'echo ok', mode: 0o755 }]);
    const r = await ops.exec('stat -c %U smoke/a/b.txt smoke/a smoke/run.sh && ./smoke/run.sh');
    assert.deepEqual(r.stdout.trim().split('\n'), ['learner', 'learner', 'learner', 'ok']);
    assert.equal((await ops.readFile('/home/learner/smoke/a/b.txt'))?.toString(), 'привет\n');
    assert.equal(await ops.readFile('/home/learner/missing'), null);
  });

  it('gives the grader its own cosign and the session registry on localhost:5000', async () => {
    const ops = provider.ops(id);
    await ops.exec('sudo rm -f /usr/bin/cosign');
    const r = await ops.graderExec('cosign version >/dev/null && curl -fsS localhost:5000/v2/_catalog && cat in.txt', { files: [{ path: 'in.txt', content: 'file' }] });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /smoke\/bb/);
    assert.match(r.stdout, /file$/);
  });

  it('probes an image from the registry in an isolated container', async () => {
    const ops = provider.ops(id);
    const build = await ops.exec(
      `mkdir -p /tmp/web && cd /tmp/web && printf 'FROM busybox\\nRUN mkdir /www && echo ok > /www/healthz\\nUSER 65534\\nCMD ["httpd","-f","-p","8080","-h","/www"]\\n' > Dockerfile && docker build -q -t localhost:5000/smoke/web:1 . && docker push -q localhost:5000/smoke/web:1`,
      { timeoutMs: 120_000 },
    );
    assert.equal(build.exitCode, 0, build.stderr);
    const probe = await ops.probeImage('localhost:5000/smoke/web:1', { port: 8080, path: '/healthz', timeoutMs: 10_000 });
    assert.equal(probe.ok, true, JSON.stringify(probe));
    assert.equal(probe.body?.trim(), 'ok');
    assert.equal(probe.user, '65534');
    const missing = await ops.probeImage('localhost:5000/smoke/none:1', { port: 8080, path: '/', timeoutMs: 2_000 });
    assert.equal(missing.ok, false);
    assert.ok(missing.error);
  });

  it('starts an extra registry with htpasswd auth', async () => {
    const ops = provider.ops(id);
    // student:secret, bcrypt
    await ops.startRegistry({ port: 5001, htpasswd: 'student:$2y$05$5ZjQvHq2QdY9y1kZkS3n4e6dMYzGQxRrHkEt7gWb1fEo8I7q3fB1K' });
    const noAuth = await fetch(`${ops.registryUrl(5001)}/v2/`);
    assert.equal(noAuth.status, 401);
  });

  it('cannot write to the mirror', async () => {
    // Plain HTTP on purpose, so the refusal is the mirror's read-only mode and not TLS.
    const r = await provider.ops(id).exec(
      'sudo skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://localhost:5000/smoke/bb:1 docker://mirror:5000/library/evil:1',
      { timeoutMs: 30_000 },
    );
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /read-only|UNSUPPORTED|405|denied/i);
  });

  it('a restarted runner finds what a stopped one left, takes a sandbox over (mirror included), and shutdown removes all', async () => {
    const stopped = createDockerProvider({ runnerId: `${runnerId}-crashed`, images, limits: DEFAULT_LIMITS });
    await stopped.init();
    const sid = randomBytes(16).toString('base64url');
    await stopped.create(sid);
    await stopped.release();
    assert.ok((await objectsOf(`${runnerId}-crashed`)) > 0);
    const restarted = createDockerProvider({ runnerId: `${runnerId}-crashed`, images, limits: DEFAULT_LIMITS });
    await restarted.init();
    assert.deepEqual([...(await restarted.sandboxes()).entries()], [[sid, { workstation: true, running: true, registry: { up: true, restarts: 0 } }]]);
    const info = await restarted.adopt(sid);
    assert.ok(info.workstationIp);
    const r = await restarted.ops(sid).exec('docker info --format "{{.ServerVersion}}" && curl -fsS http://localhost:5000/v2/ && curl -fsS http://mirror:5000/v2/', { timeoutMs: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    // The terminal socket is listened on again: a new terminal still bypasses the exec stream.
    const h = await restarted.openShell(sid, { cols: 80, rows: 24 });
    assert.match(await shellSays(h, 'echo "parent=$(ps -o comm= -p $PPID)"\r', /parent=[\w-]+/), /parent=sandbox-term/);
    await h.close();
    await restarted.shutdown();
    assert.equal(await objectsOf(`${runnerId}-crashed`), 0);
  });

  it('keeps sessions apart: the connection itself fails, and the learner cannot reroute through the mirror', async () => {
    const other = randomBytes(16).toString('base64url');
    const b = await provider.create(other);
    try {
      const a = provider.ops(id);
      // No kernel uid in common: the learners' own and their engines' subordinate ranges differ.
      const who = async (o: typeof a) => (await o.exec('id -u; cat /etc/subuid')).stdout;
      assert.notEqual(await who(a), await who(provider.ops(other)));
      const direct = await a.exec(`curl -sS -m 3 -o /dev/null -w '%{http_code}' http://${b.workstationIp}:5000/v2/`, { timeoutMs: 10_000 });
      assert.equal(direct.stdout, '000', 'A reaches B directly');
      assert.equal(direct.exitCode, 7, `connection refused by the sandbox's rules, not answered: ${direct.stderr}`);
      const mirrorIp = (await a.exec("getent hosts mirror | awk '{print $1}'")).stdout.trim();
      assert.match(mirrorIp, /^\d+\.\d+\.\d+\.\d+$/);
      const route = await a.exec(`ip route add ${b.workstationIp}/32 via ${mirrorIp}`);
      assert.notEqual(route.exitCode, 0);
      assert.match(route.stderr, /Operation not permitted/);
    } finally {
      await provider.destroy(other);
    }
  });

  it('destroys a sandbox completely', async () => {
    const other = randomBytes(16).toString('base64url');
    await provider.create(other);
    assert.ok((await objectsOf(runnerId, other)) >= 5);
    await provider.destroy(other);
    assert.equal(await objectsOf(runnerId, other), 0);
  });

  it('without a disk quota (the runner in a container) a session still has a uid of its own, with a writable home', async () => {
    const plainId = `${runnerId}-plain`;
    // Nor terminal sockets (TERMINAL_DIR=''): terminals then use the engine's exec stream.
    const plain = createDockerProvider({ runnerId: plainId, images, limits: DEFAULT_LIMITS, diskQuotaBytes: 0, terminalDir: '' });
    const one = randomBytes(16).toString('base64url');
    try {
      await plain.init();
      await plain.create(one);
      const r = await plain.ops(one).exec('id -u; grep "^learner:" /etc/subuid; touch ~/written && echo HOME-OK; docker info -f "{{.SecurityOptions}}"', { timeoutMs: 60_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      const [uid, sub] = r.stdout.split('\n');
      assert.ok(Number(uid) >= 200_000, `uid ${uid}`);
      assert.match(sub!, /^learner:\d+:65536$/);
      assert.doesNotMatch(sub!, /:100000:/, 'not the image\'s shared range');
      assert.match(r.stdout, /HOME-OK/);
      assert.match(r.stdout, /rootless/);
      const h = await plain.openShell(one, { cols: 80, rows: 24 });
      const shell = await shellSays(h, 'echo "parent=$(ps -o comm= -p $PPID) size=$(stty size)"\r', /parent=\S* size=\d+ \d+/);
      assert.doesNotMatch(shell, /parent=sandbox-term/);
      assert.match(shell, /size=24 80/);
      await h.close();
    } finally {
      await plain.shutdown();
    }
    assert.equal(await objectsOf(plainId), 0, 'the account volume goes with the session');
  });
});
