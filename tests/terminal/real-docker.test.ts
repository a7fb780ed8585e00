/**
 * Runner + real Docker: terminal, inner docker, registry visible to the runner, bad input,
 * flow control (socket backlog and acks), shells ended when their terminal closes, 1012 on
 * restart, DELETE.
 */

/** Processes of the workstation by command name (bash, sleep, yes), read from outside the shells. */
function processCounts(sessionId: string): Record<string, number> {
  const ws = execFileSync('docker', ['ps', '-q', '--filter', `label=registry-lab.session=${sessionId}`, '--filter', 'label=registry-lab.role=workstation'], {
    encoding: 'utf8',
  }).trim();
  const names = execFileSync('docker', ['exec', ws, 'ps', '-e', '-o', 'comm='], { encoding: 'utf8' }).split('\n').map((l) => l.trim());
  const counts: Record<string, number> = { bash: 0, sleep: 0, yes: 0 };
  for (const n of names) if (n in counts) counts[n]!++;
  return counts;
}

/** Polls until `read()` equals `want` (JSON); returns the last value read. */
async function settleTo<T>(read: () => T, want: T, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = read();
  while (JSON.stringify(last) !== JSON.stringify(want) && Date.now() < until) {
    await sleep(500);
    last = read();
  }
  return last;
}
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'ws';
import type { Runner } from '../../runner/src/app.ts';
import { CLOSE, FLOW } from '../../protocol/terminal.ts';
import { api, openTerminal, rawUpgrade, sleep, wsUrl } from '../runner/helpers.ts';
import { dockerObjects, newSession, readyTerminal, run, startRealRunner } from '../runner/real.ts';

describe('runner terminal (real Docker)', () => {
  let runner: Runner;
  let s: { id: string; token: string };

  before(async () => {
    runner = await startRealRunner();
    s = await newSession(runner);
  });
  after(async () => {
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test('terminal connects; docker run --rm busybox echo hi prints hi', async () => {
    const t = await readyTerminal(runner, s);
    const g = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    assert.equal(g.json.state, 'ready');
    const r = await run(t, 'whoami; pwd; docker run --rm busybox echo hi');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /learner\r\n\/home\/learner\r\n/);
    assert.match(r.out, /\r\nhi\r\n/);
    t.close();
    // The shell's exit code arrives as an event just before the close.
    const e = await readyTerminal(runner, s);
    e.send('exit 7\r');
    assert.equal((await e.waitEvent('exit', 20_000)).code, 7);
    assert.equal((await e.closed).code, 1000);
  });

  test('an image pushed inside to localhost:5000 is visible to the runner through the registry API', async () => {
    const t = await readyTerminal(runner, s);
    const r = await run(t, 'docker pull -q busybox && docker tag busybox localhost:5000/demo/app:v1 && docker push -q localhost:5000/demo/app:v1');
    assert.equal(r.code, 0, r.out);
    const url = runner.provider.ops(s.id).registryUrl();
    const res = await fetch(`${url}/v2/demo/app/tags/list`);
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ['v1']);
    t.close();
  });

  test('bad input: unknown session, wrong token, wrong Origin, malformed JSON -> clear errors', async () => {
    let r = await rawUpgrade(runner.url, `/api/sessions/AAAAAAAAAAAAAAAAAAAAAAAA/terminal?token=${s.token}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'unknown_session');
    r = await rawUpgrade(runner.url, `/api/sessions/${s.id}/terminal?token=nope`);
    assert.equal(r.status, 401);
    r = await rawUpgrade(runner.url, `/api/sessions/${s.id}/terminal?token=${s.token}`, { origin: 'https://evil.example' });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'origin_not_allowed');
    const bad = await api(runner.url, 'POST', '/api/sessions', { rawBody: '{"lab":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_json');
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: 'x' })).status, 401);
    assert.equal((await api(runner.url, 'GET', '/api/health')).status, 200);
  });

  test('bad input in the terminal: resize 0x0 and 99999x99999, junk control, oversized frame, 1 MB paste', async () => {
    const t = await readyTerminal(runner, s);
    t.control({ type: 'resize', cols: 0, rows: 0 });
    t.control('{"type":');
    t.control({ type: 'bogus', x: 1 });
    t.control({ type: 'resize', cols: 99999, rows: 99999 });
    let r = await run(t, 'stty size');
    assert.match(r.out, /[\r\n]200 500\r\n/, r.out);
    t.control({ type: 'resize', cols: 100, rows: 30 });
    r = await run(t, 'stty size');
    assert.match(r.out, /[\r\n]30 100\r\n/, r.out);

    // 1 MB paste in 16 frames of 64 KiB (lines of 64 characters, a TTY's line limit is 4 KiB).
    const line = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+\n';
    const paste = Buffer.from(line.repeat(Math.ceil((1024 * 1024) / line.length))).subarray(0, 1024 * 1024 - 1);
    const payload = Buffer.concat([paste, Buffer.from('\n')]);
    await run(t, 'stty -echo');
    const from = t.output().length;
    t.send('cat > /tmp/paste.txt\r');
    await sleep(300);
    for (let i = 0; i < payload.length; i += 64 * 1024) t.send(payload.subarray(i, i + 64 * 1024));
    t.send(Buffer.from([4]));
    r = await run(t, 'stty echo; wc -c < /tmp/paste.txt', 120_000);
    assert.match(t.output().slice(from), new RegExp(`[\\r\\n]${payload.length}\\r\\n`), t.output().slice(-300));

    // A frame over the limit closes that terminal with 1009; the runner stays up.
    const big = await openTerminal(runner.url, s.id, s.token);
    await big.waitEvent('ready', 60_000);
    big.send(Buffer.alloc(runner.config.terminalMaxFrame + 1, 97));
    assert.equal((await big.closed).code, 1009);
    assert.equal((await api(runner.url, 'GET', '/api/health')).status, 200);
    r = await run(t, 'echo ok');
    assert.equal(r.code, 0);
    t.close();
  });

  test('`yes` with a client that reads slowly does not grow the runner memory without bound', async () => {
    const ws = new WebSocket(wsUrl(runner.url, s.id, s.token));
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    let got = 0;
    let ready = false;
    ws.on('message', (d, bin) => {
      if (bin) got += (d as Buffer).length;
      else if (JSON.parse(String(d)).type === 'ready') ready = true;
    });
    while (!ready) await sleep(50);
    await sleep(500);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    ws.send(Buffer.from('yes\r'), { binary: true });
    const sock = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    let maxGrowth = 0;
    // Read slowly: 10 short reads spread over ~5 s.
    for (let i = 0; i < 10; i++) {
      sock.pause();
      await sleep(450);
      maxGrowth = Math.max(maxGrowth, process.memoryUsage().rss - rss0);
      sock.resume();
      await sleep(50);
    }
    assert.ok(got > 0, 'some output arrived');
    assert.ok(maxGrowth < 150 * 1024 * 1024, `rss grew by ${(maxGrowth / 1048576).toFixed(1)} MiB`);
    ws.send(Buffer.from([3]), { binary: true });
    ws.close();
    assert.equal((await api(runner.url, 'GET', '/api/health')).status, 200);
  });

  test('closing a terminal ends its shell and what it started: clean close and abrupt disconnect, 5 cycles', async () => {
    for (;;) {
      const state = (await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json.state;
      if (state === 'ready') break;
      assert.equal(state, 'starting', 'the sandbox could not start');
      await sleep(500);
    }
    // Terminals of the tests above may still be in their hang-up grace period.
    const baseline = await settleTo(() => processCounts(s.id), { bash: 0, sleep: 0, yes: 0 }, 30_000);
    assert.deepEqual(baseline, { bash: 0, sleep: 0, yes: 0 }, 'no shell left from the tests above');
    for (let i = 0; i < 5; i++) {
      const t = await readyTerminal(runner, s);
      await run(t, 'sleep 600 & nohup sleep 601 >/dev/null 2>&1 & true');
      t.send('yes > /dev/null\r');
      // This terminal's processes run (earlier cycles' may still be in their grace period on a busy host).
      let during = processCounts(s.id);
      for (let w = 0; w < 120 && !(during.bash >= 1 && during.sleep >= 2 && during.yes >= 1); w++) {
        await sleep(500);
        during = processCounts(s.id);
      }
      assert.ok(during.bash >= 1 && during.sleep >= 2 && during.yes >= 1, `cycle ${i}: ${JSON.stringify(during)}`);
      if (i % 2 === 0) {
        t.ws.close(CLOSE.normal);
        assert.equal((await t.closed).code, CLOSE.normal);
      } else {
        t.ws.terminate(); // abrupt: no close frame
      }
    }
    // A hang-up, then a kill after the grace (nohup ignores the hang-up): everything ends.
    const after = await settleTo(() => processCounts(s.id), baseline, 180_000);
    assert.deepEqual(after, baseline, 'the process count returns to where it was');
  });

  test('ack-based flow control with a real shell: output stops near 2 MiB unacknowledged and resumes on ack', async () => {
    const t = await readyTerminal(runner, s);
    t.control({ type: 'ack', bytes: 0 }); // this client acknowledges: ack mode on
    t.send('yes\r');
    // Without acks the runner pauses the shell once more than FLOW.highBytes are unacknowledged.
    let last = -1;
    while (t.bytes() !== last) {
      last = t.bytes();
      await sleep(1500);
    }
    const stalled = t.bytes();
    assert.ok(stalled > FLOW.highBytes, `paused only above ${FLOW.highBytes} bytes (got ${stalled})`);
    assert.ok(stalled < FLOW.highBytes + 512 * 1024, `paused near ${FLOW.highBytes} bytes (got ${stalled})`);
    // Acknowledging brings it below the low mark: output resumes.
    let acked = 0;
    const ackAll = () => {
      const n = t.bytes();
      if (n > acked) t.control({ type: 'ack', bytes: n - acked });
      acked = n;
    };
    ackAll();
    await t.waitFor(/y\r\n/, 10_000, t.output().length);
    assert.ok(t.bytes() > stalled, 'output resumed after the ack');
    // A client that keeps acknowledging keeps the shell usable.
    const acking = setInterval(ackAll, 50);
    try {
      t.send(Buffer.from([3]));
      const r = await run(t, 'echo after-yes', 60_000);
      assert.equal(r.code, 0);
    } finally {
      clearInterval(acking);
      t.close();
    }
  });

  test('closeAll (the runner restarting): terminals close with 1012 and no `ended`; the session keeps working', async () => {
    const t = await readyTerminal(runner, s);
    runner.terminals.closeAll();
    const closed = await t.closed;
    assert.equal(closed.code, CLOSE.restart);
    assert.ok(!t.events.some((e) => e?.type === 'ended'), JSON.stringify(t.events));
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json.state, 'ready');
    const again = await readyTerminal(runner, s);
    assert.equal((await run(again, 'echo back')).code, 0);
    again.close();
  });

  test('several terminals at once; DELETE leaves no Docker object with the session label', async () => {
    const a = await readyTerminal(runner, s);
    const b = await readyTerminal(runner, s);
    await run(a, 'echo one > /tmp/shared');
    const r = await run(b, 'cat /tmp/shared');
    assert.match(r.out, /[\r\n]one\r\n/);
    assert.ok(dockerObjects(`registry-lab.session=${s.id}`).length > 0);
    const d = await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, { token: s.token });
    assert.equal(d.status, 204);
    assert.deepEqual(dockerObjects(`registry-lab.session=${s.id}`), []);
    const ev = await a.waitEvent('ended', 10_000);
    assert.equal(ev.reason, 'deleted');
    await a.closed;
    await b.closed;
  });
});
