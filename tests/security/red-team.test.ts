/**
 * Red team (issue 7): a hostile learner, typing in their terminal as anyone could, tries every
 * known way out of the sandbox. Each attempt is bounded in time and harmless if the boundary failed
 * (the clock is set to the current time, sysctls get their current value back, block devices are
 * only read, fork bomb and disk fill are bounded). A test passes only when the attempt itself failed.
 * Traffic goes only to loopback and to test hosts in network namespaces made here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Runner } from '../../runner/src/app.ts';
import type { Term } from '../runner/helpers.ts';
import { dockerObjects, newSession, readyTerminal, run, startRealRunner } from '../runner/real.ts';
import { startNetnsHost, type NetnsHost } from './netns-host.ts';
import { untilReady } from './ready.ts';
import { boundedAttempt, openRoom, type Room } from './room.ts';

/** Docker's default capability set (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP). */
const DEFAULT_CAPS = 0xa80425fbn;

/** Runs one attempt, bounded; `out` is what the terminal showed. */
const attempt = (t: Term, cmd: string, seconds = 30) => boundedAttempt(t, cmd, seconds);

describe('red team: the sandbox holds (real Docker, rootless inner engine)', { timeout: 1_200_000 }, () => {
  let room: Room | undefined;
  let runner: Runner;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  let ta: Term;
  let tb: Term;
  let privateHost: NetnsHost;
  let publicHost: NetnsHost;
  const marker = `/tmp/rl-redteam-${randomBytes(4).toString('hex')}`;

  before(async () => {
    writeFileSync(marker, 'host only\n');
    privateHost = await startNetnsHost('10.250.77.0');
    publicHost = await startNetnsHost('203.0.113.0');
    room = await openRoom(
      'redteam',
      {
        host: '0.0.0.0', // listening everywhere, so "not reached" is the sandbox's doing
        sessionDiskQuota: 512 * 1024 ** 2,
        workstationMemory: 768 * 1024 ** 2,
        workstationPids: 512,
        egress: 'open',
      },
      new URL('./shocker.c', import.meta.url),
    );
    ({ runner, a, b, ta, tb } = room);
  });
  after(async () => {
    privateHost?.close();
    publicHost?.close();
    rmSync(marker, { force: true });
    await room?.close();
  });

  test('no process of a sandbox holds a capability in the host user namespace beyond the default set, none is root there in the workstation', () => {
    const hostUserns = readlinkSync('/proc/self/ns/user');
    const ids = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=registry-lab.runner=${runner.config.runnerId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const roles = new Map(ids.map((id) => [id, execFileSync('docker', ['inspect', '-f', '{{index .Config.Labels "registry-lab.role"}}', id], { encoding: 'utf8' }).trim()]));
    let seen = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cgroup: string, status: string, userns: string;
      try {
        cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
        userns = readlinkSync(`/proc/${pid}/ns/user`);
      } catch {
        continue; // exited meanwhile
      }
      const id = ids.find((c) => cgroup.includes(c));
      if (!id) continue;
      seen++;
      if (userns !== hostUserns) continue; // capabilities there are the inner engine's, in its own user namespace
      const capEff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(status)![1]}`);
      const name = /Name:\s*(.*)/.exec(status)![1];
      assert.equal(capEff & ~DEFAULT_CAPS, 0n, `pid ${pid} (${name}, ${roles.get(id)}) holds ${capEff.toString(16)}`);
      if (roles.get(id) === 'workstation') {
        const euid = /Uid:\s*\d+\s+(\d+)/.exec(status)![1];
        assert.notEqual(euid, '0', `pid ${pid} (${name}) is root in the workstation`);
        assert.equal(capEff, 0n, `pid ${pid} (${name}) of the workstation holds capabilities ${capEff.toString(16)}`);
      }
    }
    assert.ok(seen > 10, `saw ${seen} sandbox processes`);
  });

  test('cannot set the clock (to the current time), in the workstation or an inner container', async () => {
    const ws = await attempt(ta, 'date -u -s "$(date -u "+%Y-%m-%d %H:%M:%S")"');
    assert.match(ws.out, /cannot set date: Operation not permitted/, ws.out);
    const inner = await attempt(ta, 'docker run --rm --cap-add SYS_TIME busybox date -u -s "$(date -u "+%Y-%m-%d %H:%M:%S")"');
    // busybox reports the refusal and still exits 0: the kernel's answer is what counts.
    assert.match(inner.out, /can't set date: Operation not permitted/, inner.out);
  });

  test('cannot write core_pattern or another sysctl (their current value), even as root of an inner container with /proc unmasked', async () => {
    for (const f of ['/proc/sys/kernel/core_pattern', '/proc/sys/vm/swappiness']) {
      const ws = await attempt(ta, `v=$(cat ${f}) && printf '%s\\n' "$v" > ${f}`);
      assert.notEqual(ws.code, 0);
      assert.match(ws.out, /Permission denied/);
      const inner = await attempt(ta, `docker run --rm --security-opt systempaths=unconfined busybox sh -c 'v=$(cat ${f}) && echo "$v" > ${f}'`);
      assert.notEqual(inner.code, 0);
      assert.match(inner.out, /Permission denied|Read-only file system/);
    }
  });

  test('cannot load a kernel module', async () => {
    const r = await attempt(ta, '/usr/sbin/insmod /bin/true');
    assert.notEqual(r.code, 0);
    // With the right, the kernel would have answered "Invalid module format".
    assert.match(r.out, /Operation not permitted/);
  });

  test('cannot write devices.allow', async () => {
    const r = await attempt(ta, 'for f in /sys/fs/cgroup/devices/devices.allow /sys/fs/cgroup/devices/*/devices.allow; do [ -e "$f" ] && echo a > "$f"; done; echo a > /sys/fs/cgroup/devices/devices.allow');
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Read-only file system|Permission denied/);
  });

  test('cannot mknod the host disk and read it, in the workstation or an inner container', async () => {
    const [maj, min] = execFileSync('sh', ['-c', "stat -c '%t %T' \"$(findmnt -no SOURCE /)\""], { encoding: 'utf8' }).trim().split(' ').map((h) => parseInt(h, 16));
    const ws = await attempt(ta, `mknod /tmp/disk b ${maj} ${min} && head -c 512 /tmp/disk | od | head -2`);
    assert.notEqual(ws.code, 0);
    assert.match(ws.out, /Operation not permitted/);
    const inner = await attempt(ta, `docker run --rm --cap-add MKNOD busybox sh -c 'mknod /disk b ${maj} ${min} && head -c 512 /disk | od | head -2'`);
    assert.notEqual(inner.code, 0);
    assert.match(inner.out, /Operation not permitted/);
  });

  test('cannot open a host file by handle (open_by_handle_at, "shocker")', async () => {
    const r = await attempt(ta, '~/bin/shocker');
    assert.match(r.out, /shocker: open_by_handle_at: Operation not permitted/);
    assert.doesNotMatch(r.out, /OPENED/);
  });

  test('cannot read the kernel log', async () => {
    const r = await attempt(ta, 'dmesg | head -3; cat /proc/kmsg | head -c 100');
    assert.match(r.out, /dmesg: read kernel buffer failed: Operation not permitted/);
    assert.match(r.out, /kmsg: Permission denied/);
    const inner = await attempt(ta, 'docker run --rm --cap-add SYSLOG busybox dmesg');
    assert.notEqual(inner.code, 0);
    assert.match(inner.out, /Operation not permitted/);
  });

  test('--privileged and -v /:/h in the inner engine give nothing of the host', async () => {
    const priv = await attempt(ta, 'docker run --rm --privileged busybox cat /proc/1/status');
    assert.notEqual(priv.code, 0);
    assert.match(priv.out, /operation not permitted/i);
    const root = await attempt(ta, `docker run --rm -v /:/h busybox sh -c 'ls ${'/h' + marker}; cat /h/etc/shadow >/dev/null; echo x > /h/etc/passwd'`);
    assert.notEqual(root.code, 0);
    assert.match(root.out, /No such file or directory/, 'the host file system is not under /h');
    assert.match(root.out, /Permission denied/);
  });

  test("cannot reach another session's workstation, registry or inner container", async () => {
    const bIp = new URL(runner.provider.ops(b.id).registryUrl()).hostname;
    const up = await run(tb, 'docker run -d -p 8081:80 busybox httpd -f -p 80 -h /etc >/dev/null && sleep 1 && curl -sS -o /dev/null -w "%{http_code}" localhost:8081/hostname', 120_000);
    assert.match(up.out, /200/, 'B serves its inner container on :8081');
    for (const url of [`http://${bIp}:5000/v2/`, `http://${bIp}:8081/hostname`]) {
      const r = await attempt(ta, `curl -sS -m 5 -o /dev/null ${url}`);
      assert.equal(r.code, 7, `A reached ${url}: ${r.out}`);
      assert.match(r.out, /Failed to connect|No route to host|Couldn't connect/);
    }
    // From an inner container of A too.
    const inner = await attempt(ta, `docker run --rm busybox wget -q -T 5 -O- http://${bIp}:5000/v2/`);
    assert.notEqual(inner.code, 0);
    assert.match(inner.out, /unreachable|refused|timed out|can't connect/i);
  });

  test("cannot reach the runner on its internal addresses, nor the host's", async () => {
    const port = new URL(runner.url).port;
    const sessionGw = execFileSync('docker', ['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', `rl-${a.id}-net`], { encoding: 'utf8' }).trim();
    const hostIps = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1"], { encoding: 'utf8' }).split('\n').filter(Boolean);
    // Sanity: the runner does answer on those addresses from the host.
    assert.equal((await fetch(`http://${sessionGw}:${port}/api/health`).catch(() => ({ status: 0 }))).status > 0, true);
    for (const ip of [sessionGw, ...hostIps.slice(0, 4), '127.0.0.1']) {
      const r = await attempt(ta, `curl -sS -m 5 -o /dev/null http://${ip}:${port}/api/health`);
      assert.equal(r.code, 7, `A reached the runner at ${ip}: ${r.out}`);
    }
    const meta = await attempt(ta, 'curl -sS -m 3 -o /dev/null http://169.254.169.254/latest/meta-data/');
    assert.equal(meta.code, 7, meta.out);
  });

  test("cannot reach a private address of the operator's network; a public one is reachable (egress open)", async () => {
    assert.match(execFileSync('curl', ['-sS', '-m', '5', privateHost.url], { encoding: 'utf8' }), /netns-host/, 'the host reaches the test host');
    const priv = await attempt(ta, `curl -sS -m 5 ${privateHost.url}`);
    assert.equal(priv.code, 7, priv.out);
    assert.doesNotMatch(priv.out.split('\n').slice(1).join('\n'), /netns-host/);
    const inner = await attempt(ta, `docker run --rm busybox wget -q -T 5 -O- ${privateHost.url}`);
    assert.notEqual(inner.code, 0);
    const pub = await attempt(ta, `curl -sS -m 10 ${publicHost.url}`);
    assert.equal(pub.code, 0, pub.out);
    assert.match(pub.out, /netns-host/);
  });

  test('cannot fill the disk past the quota; the learner is told why and the host is untouched', async () => {
    const r = await attempt(ta, 'head -c 700M /dev/zero > ~/fill; s=$?; du -sm ~/fill; rm -f ~/fill; exit $s', 120);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /No space left on device/);
    const after = await attempt(ta, 'echo ok > ~/after && cat ~/after');
    assert.equal(after.code, 0, after.out);
  });

  test('a fork bomb and a memory hog hurt only their own sandbox; another session keeps answering', async () => {
    // Bounded: sleepers that end by themselves, 3000 at most, killed at the end.
    const bomb = attempt(ta, 'for i in $(seq 3000); do sleep 100 & done 2>&1 | grep -m1 -o "Resource temporarily unavailable"; pkill -x sleep; true', 90);
    await new Promise((r) => setTimeout(r, 3000));
    const other = await run(tb, 'echo alive-$((6*7))', 30_000);
    assert.match(other.out, /alive-42/);
    const bombed = await bomb;
    assert.match(bombed.out, /^Resource temporarily unavailable/m, 'the pids limit stopped the bomb');
    const hog = attempt(ta, 'head -c 2000M /dev/zero | tail > /dev/null', 60);
    await new Promise((r) => setTimeout(r, 3000));
    const other2 = await run(tb, 'echo alive-$((6*7))', 30_000);
    assert.match(other2.out, /alive-42/);
    const hogged = await hog;
    assert.notEqual(hogged.code, 0);
    assert.match(hogged.out, /Killed/);
    const still = await run(ta, 'echo back-$((1+1))', 60_000);
    assert.match(still.out, /back-2/);
  });
});

describe('red team: egress none and allowlist are honoured', { timeout: 600_000 }, () => {
  let publicHost: NetnsHost;
  before(async () => {
    publicHost = await startNetnsHost('198.51.100.0');
  });
  after(() => publicHost?.close());

  for (const [policy, allow, reachable] of [['none', [], false], ['allowlist', ['198.51.100.2'], true], ['allowlist', ['198.51.100.128/25'], false]] as const) {
    test(`${policy} ${allow.join(',')}: the test host is ${reachable ? '' : 'not '}reachable, the mirror still is`, async () => {
      const runner = await startRealRunner({ egress: policy, egressAllow: [...allow] });
      try {
        const s = await newSession(runner);
        await untilReady(runner, s);
        const t = await readyTerminal(runner, s);
        try {
          const r = await attempt(t, `curl -sS -m 5 ${publicHost.url}`);
          if (reachable) assert.match(r.out, /netns-host/);
          else {
            assert.equal(r.code, 7, r.out);
            assert.match(r.out, /Failed to connect|No route to host|Network is unreachable|Couldn't connect/);
          }
          const pull = await run(t, 'docker pull -q busybox', 120_000);
          assert.equal(pull.code, 0, pull.out);
        } finally {
          t.close();
        }
      } finally {
        await runner.close();
        assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
      }
    });
  }
});
