/**
 * Red team, grading path (issue 18): nothing that crosses from the learner's side steers what the
 * runner, the grader or the host does. Each attack is the one that worked before, bounded in size
 * and time; traffic goes only to loopback, this host's own addresses and the sandboxes made here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { statfsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Runner } from '../../runner/src/app.ts';
import type { Term } from '../runner/helpers.ts';
import { api } from '../runner/helpers.ts';
import { registryRestartShown } from './ready.ts';
import { boundedAttempt, openRoom, type Room } from './room.ts';
import { squat as squatPort, unsquat as unsquatPorts } from './squat.ts';
import { egressScript, resolveAllowlistEntries } from '../../runner/src/sandbox/egress.ts';

const QUOTA = 512 * 1024 ** 2;
const SECRET = `HOST-SECRET-${randomBytes(6).toString('hex')}`;

/** One bounded attempt in the learner's terminal. */
const attempt = (t: Term, cmd: string, seconds = 60) => boundedAttempt(t, cmd, seconds);

/** A multi-line attempt: the lines go in as a script file, then run bounded. */
async function script(runner: Runner, id: string, t: Term, lines: string[], seconds = 60) {
  const name = `attempt-${randomBytes(3).toString('hex')}.sh`;
  await runner.provider.ops(id).copyIn('/home/learner/rl-attempts', [{ path: name, content: lines.join('\n') + '\n', mode: 0o755 }]);
  return attempt(t, `bash ~/rl-attempts/${name}`, seconds);
}

const hostAddresses = () =>
  Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4').map((a) => a!.address);

describe('red team: the grading path trusts nothing a learner controls (real Docker)', { timeout: 1_200_000 }, () => {
  let room: Room | undefined;
  let runner: Runner;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  let ta: Term;
  let tb: Term;
  let server: Server;
  let port = 0;
  const seen: string[] = [];

  before(async () => {
    // A "secret" on every address of the host: what a followed realm, redirect or probe would reach.
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end(SECRET);
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as { port: number }).port;
    room = await openRoom('grading', { host: '0.0.0.0', sessionDiskQuota: QUOTA, egress: 'none', workstationMemory: 1024 ** 3 }, new URL('./per-uid.c', import.meta.url));
    ({ runner, a, b, ta, tb } = room);
  });
  after(async () => {
    server?.close();
    await room?.close();
  });

  const check = async (lab: string) => {
    const c = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/${lab}/check`, { token: a.token });
    assert.equal(c.status, 200, c.text);
    return c.json as { passed: boolean; criteria: Array<{ id: string; passed: boolean; message: string }> };
  };

  const squat = (port: number, head: string[]) => squatPort(runner, a.id, ta, port, head);
  const unsquat = () => unsquatPorts(ta).then((out) => ({ out }));

  test('squatted registry ports with a foreign realm and a redirect: the runner asks the real registries, follows nothing, shows nothing', async () => {
    assert.match(await squat(5001, ['HTTP/1.1 401 Unauthorized', `WWW-Authenticate: Bearer realm="http://127.0.0.1:${port}/token",service=x`]), /answer 401/);
    assert.match(await squat(5000, ['HTTP/1.1 302 Found', `Location: http://127.0.0.1:${port}/redirected`]), /answer 302/);
    const start = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/registry-auth/start`, { token: a.token });
    assert.equal(start.status, 200, `the password registry starts although the learner squats localhost:5001: ${start.text}`);
    for (const lab of ['registry-auth', 'push-private']) {
      const c = await check(lab);
      assert.equal(c.passed, false);
      for (const cr of c.criteria) assert.doesNotMatch(cr.message, new RegExp(`${SECRET}|127\\.0\\.0\\.1:${port}`), cr.message);
    }
    assert.deepEqual(seen, [], 'no request reached the host server');
    // The real registries answer at their own address; the learner broke only their own localhost.
    const real = await fetch(`${runner.provider.ops(a.id).registryUrl(5001)}/v2/`, { redirect: 'manual' });
    assert.equal(real.status, 401);
    assert.match((await unsquat()).out, /RESTORED/);
  });

  test('a registry killed by a flood comes back, and a learner server with an injected digest runs nothing in the grader', async () => {
    const start = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/signing/start`, { token: a.token });
    assert.equal(start.status, 200, start.text);
    const keys = await attempt(ta, 'mkdir -p ~/keys && cd ~/keys && COSIGN_PASSWORD=pw cosign generate-key-pair >/dev/null 2>&1; ls ~/keys', 60);
    assert.match(keys.out, /cosign\.pub/);
    const registry = `rl-${a.id}-registry`;
    // What the OOM killer did to it: a SIGKILL from outside (`docker kill` would count as a deliberate stop).
    const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', registry], { encoding: 'utf8' }).trim();
    process.kill(Number(pid), 'SIGKILL');
    const evil = "sha256:0'; id > /tmp/pwned; echo '";
    assert.match(await squat(5000, ['HTTP/1.1 200 OK', `Docker-Content-Digest: ${evil}`, 'Content-Type: application/vnd.oci.image.manifest.v1+json']), /answer 200/);
    let running = false;
    for (let i = 0; i < 100 && !running; i++) {
      await new Promise((r) => setTimeout(r, 200));
      running = execFileSync('docker', ['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', registry], { encoding: 'utf8' }).trim() !== 'true 0' &&
        execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', registry], { encoding: 'utf8' }).trim() === 'true';
    }
    assert.ok(running, 'the engine restarted the killed registry');
    assert.ok(Number(execFileSync('docker', ['inspect', '-f', '{{.RestartCount}}', registry], { encoding: 'utf8' })) >= 1);
    assert.ok(await registryRestartShown(runner, a), 'the session view shows the restart (liveness probe)');
    const c = await check('signing');
    assert.equal(c.criteria.find((x) => x.id === 'verifies')?.passed, false);
    const grader = `rl-${a.id}-grader`;
    const pwned = execFileSync('docker', ['exec', grader, 'sh', '-c', 'ls /tmp/pwned 2>/dev/null; id -u'], { encoding: 'utf8' }).trim();
    assert.equal(pwned, '65534', 'nothing ran in the grader, which is not root');
    assert.match((await unsquat()).out, /RESTORED/);
  });

  test("a probed image reaches neither the host, the runner, the mirror nor another session", async () => {
    const mirrorIp = (await attempt(ta, "getent hosts mirror | awk '{print $1}'")).out.match(/\d+\.\d+\.\d+\.\d+/)?.[0];
    assert.ok(mirrorIp);
    const other = new URL(runner.provider.ops(b.id).registryUrl()).host;
    const runnerPort = new URL(runner.url).port;
    const targets = [
      ...hostAddresses().flatMap((h) => [`${h}:${port}`, `${h}:${runnerPort}`]),
      `${mirrorIp}:5000/v2/`,
      `${other}/v2/`,
    ];
    const script = [
      'gw=$(ip -4 addr show | sed -n "s/.*inet \\([0-9.]*\\)\\.[0-9]*\\/.*/\\1.1/p" | grep -v "^127" | head -1)',
      `reached=""; for t in ${targets.join(' ')} "$gw:${port}" "$gw:${runnerPort}"; do`,
      '  if wget -q -T 1 -O /dev/null "http://$t" 2>/dev/null; then reached="$reached $t"; fi',
      'done',
      'mkdir -p /tmp/www && echo "reached:${reached:- none}" > /tmp/www/healthz',
      'exec httpd -f -p 8080 -h /tmp/www',
    ].join('\n');
    await runner.provider.ops(a.id).copyIn('/home/learner/evil', [
      { path: 'probe.sh', content: script },
      { path: 'Dockerfile', content: 'FROM busybox\nCOPY probe.sh /probe.sh\nCMD ["sh", "/probe.sh"]\n' },
    ]);
    const push = await attempt(ta, 'cd ~/evil && docker build -q -t localhost:5000/evil/probe:1 . >/dev/null && docker push -q localhost:5000/evil/probe:1', 180);
    assert.equal(push.code, 0, push.out);
    const probe = await runner.provider.ops(a.id).probeImage('localhost:5000/evil/probe:1', { port: 8080, path: '/healthz', timeoutMs: 120_000 });
    assert.equal(probe.status, 200, JSON.stringify(probe));
    assert.match(probe.body ?? '', /^reached: none/, `the probe reached: ${probe.body}`);
    assert.deepEqual(seen, [], 'no request reached the host server');
    // Only a session registry reference is probed (not an address the learner names).
    const foreign = await runner.provider.ops(a.id).probeImage(`127.0.0.1:${port}/x:1`, { port: 8080, path: '/', timeoutMs: 5_000 });
    assert.equal(foreign.ok, false);
    assert.deepEqual(seen, []);
  });

  test('every byte a learner can write is bounded: home, /tmp, /var/tmp, the runtime dir, /opt/registry-lab, the registry; the root is read-only', async () => {
    const disk = () => { const s = statfsSync('/var/lib/docker'); return s.bavail * s.bsize; };
    const before = disk();
    const fill = await script(runner, a.id, ta, [
      'for d in ~ /tmp /var/tmp /run/user/1000 /opt/registry-lab; do',
      '  msg=$(head -c 400M /dev/zero 2>&1 >"$d/rl-fill"); rm -f "$d/rl-fill"; echo "$d: $msg"',
      'done',
      'touch /usr/rl-fill 2>&1; touch /etc/rl-fill 2>&1',
      'loc=$(curl -si -X POST localhost:5000/v2/fill/blobs/uploads/ | tr -d "\\r" | sed -n "s/^Location: //Ip")',
      'head -c 300M /dev/zero | curl -s -o /dev/null -w "upload: %{http_code}\\n" -X PATCH -H "Content-Type: application/octet-stream" --data-binary @- "$loc"',
    ], 240);
    for (const d of ['/home/learner', '/tmp', '/var/tmp', '/run/user/1000', '/opt/registry-lab']) {
      assert.match(fill.out, new RegExp(`${d}: .*No space left on device`), `${d}\n${fill.out}`);
    }
    assert.match(fill.out, /\/usr\/rl-fill.*Read-only file system/);
    assert.match(fill.out, /\/etc\/rl-fill.*Read-only file system/);
    assert.doesNotMatch(fill.out, /upload: 20\d/, fill.out);
    assert.ok(before - disk() <= QUOTA, `host disk dropped by ${(before - disk()) / 1024 ** 2} MiB`);
    // The other learner was not touched by any of it.
    const bOk = await attempt(tb, 'echo ok > /tmp/x && cat /tmp/x');
    assert.match(bOk.out, /ok/);
  });

  test('no per-uid kernel account can be used up: two sessions share no kernel uid; keyring, inotify and message queues refused; the other learner still runs, builds and pushes', async () => {
    // Each learner and each inner engine's containers have uids of their own on the host.
    const ids = async (t: Term) => (await attempt(t, 'echo "uid=$(id -u)"; docker run --rm busybox cat /proc/self/uid_map', 90)).out;
    const [ua, ub] = [await ids(ta), await ids(tb)];
    const own = (out: string) => [/uid=(\d+)/.exec(out)?.[1], /^\s*0\s+(\d+)\s+\d+/m.exec(out)?.[1]];
    const [[aUid, aSub], [bUid, bSub]] = [own(ua), own(ub)];
    assert.ok(aUid && bUid && aSub && bSub, `${ua}\n${ub}`);
    assert.notEqual(aUid, bUid);
    assert.notEqual(aSub, bSub);
    assert.ok(Number(aUid) !== 1000 && Number(bUid) !== 1000);
    const ws = await attempt(ta, '~/bin/per-uid');
    assert.match(ws.out, /add_key: ENOSYS/, ws.out);
    assert.match(ws.out, /inotify_init1: ENOSYS/, ws.out);
    assert.match(ws.out, /mq_open: ENOSYS/, ws.out);
    const inner = await attempt(ta, 'docker run --rm --security-opt seccomp=unconfined -v ~/bin:/b busybox /b/per-uid', 90);
    assert.match(inner.out, /add_key: ENOSYS/, inner.out);
    assert.match(inner.out, /inotify_init1: ENOSYS/, inner.out);
    assert.match(inner.out, /mq_open: ENOSYS/, inner.out);
    // tail -f and docker logs -f poll instead of failing.
    const follow = await attempt(ta, 'echo one > /tmp/f; (timeout 2 tail -f /tmp/f & sleep 0.5; echo two >> /tmp/f; wait) 2>&1', 20);
    assert.match(follow.out, /one[\s\S]*two/, follow.out);
    await runner.provider.ops(b.id).copyIn('/home/learner/b', [{ path: 'Dockerfile', content: 'FROM busybox\nRUN echo built > /built\n' }]);
    const other = await attempt(tb, 'docker run --rm busybox echo still-runs && cd ~/b && docker build -q -t localhost:5000/b/img:1 . >/dev/null && docker push -q localhost:5000/b/img:1 && echo pushed', 180);
    assert.match(other.out, /still-runs[\s\S]*pushed/, other.out);
  });

  test('EGRESS=none: the sandbox resolves its own names, forwards no DNS query out; IPv6 is off', async () => {
    const r = await attempt(ta, 'getent hosts mirror >/dev/null && echo MIRROR-OK; cat /proc/sys/net/ipv6/conf/all/disable_ipv6');
    assert.match(r.out, /MIRROR-OK/);
    assert.match(r.out, /^1\s*$/m);
    // The rules that made it so (no query is sent to learn it): no port 53 leaves unless EGRESS=open.
    const targets = { mirrorIp: '10.0.0.2', registryIp: '10.0.0.3', registryPorts: [5000], subnet: '10.0.0.0/24', hostAddresses: ['192.0.2.1'], allow: ['198.51.100.7'] };
    for (const policy of ['none', 'allowlist'] as const) assert.doesNotMatch(egressScript(policy, targets), /--dport 53/);
    assert.match(egressScript('open', targets), /--dport 53 -j ACCEPT/);
    assert.throws(() => egressScript('none', { ...targets, allow: ['1.2.3.4; reboot'] }), /not an IPv4/);
    // allowlist: allowed names resolve in the workstation through /etc/hosts, nothing else does.
    assert.deepEqual((await resolveAllowlistEntries(['localhost', '198.51.100.7', 'bad name;x'])).hosts, ['localhost:127.0.0.1']);
  });

  test("one learner's flood of the shared mirror leaves room for the others", async () => {
    const flood = await script(runner, a.id, ta, [
      'for i in $(seq 1 48); do (exec 3<>/dev/tcp/mirror/5000 && sleep 20) 2>/dev/null & done',
      'sleep 1; echo "open: $(ss -tn state established dst $(getent hosts mirror | cut -d" " -f1) | tail -n +2 | wc -l)"',
      'docker pull -q debian:trixie-slim >/dev/null 2>&1 && echo A-PULL-OK || echo A-PULL-REFUSED',
    ], 120);
    const open = Number(/open: (\d+)/.exec(flood.out)?.[1]);
    assert.ok(open <= 32, `one sandbox holds ${open} connections to the mirror\n${flood.out}`);
    const other = await attempt(tb, 'docker pull -q busybox >/dev/null && echo B-PULL-OK', 120);
    assert.match(other.out, /B-PULL-OK/, other.out);
  });
});
