/**
 * What one runner process holds (docs/scaling.md): terminal output it relays per CPU second of
 * its own, memory per open terminal, and memory of an idle sandbox. Runs on the backend that
 * SANDBOX_BACKEND names (with kubernetes: KUBECONFIG and KUBE_NAMESPACE, an existing namespace).
 *
 *   node bench/capacity.ts [terminals=8] [megabytesPerTerminal=64]
 */
import { WebSocket } from 'ws';
import { createRunner } from '../runner/src/app.ts';
import { FLOW, encodeMessage } from '../protocol/terminal.ts';

const [terminals = 8, mb = 64] = process.argv.slice(2).map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openAcking(url: string, id: string, token: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${encodeURIComponent(token)}`);
  let bytes = 0;
  let unacked = 0;
  let tail = '';
  let ready = false;
  ws.on('message', (d, bin) => {
    const buf = d as Buffer;
    if (!bin) {
      if (buf.toString().includes('"ready"')) ready = true;
      return;
    }
    bytes += buf.length;
    unacked += buf.length;
    tail = (tail + buf.toString('latin1')).slice(-256);
    if (unacked >= FLOW.ackEveryBytes) {
      ws.send(encodeMessage({ type: 'ack', bytes: unacked }));
      unacked = 0;
    }
  });
  ws.once('open', () => ws.send(encodeMessage({ type: 'ack', bytes: 0 })));
  return { ws, bytes: () => bytes, tail: () => tail, ready: () => ready, send: (s: string) => ws.send(Buffer.from(s), { binary: true }) };
}

const runner = await createRunner({ port: 0, warmPoolSize: 0, logLevel: 'error', siteDir: '/nonexistent-site', maxSessionsPerClient: 100, maxTerminalsPerSession: 100, runnerId: `cap-${process.pid}` });
try {
  const res = await fetch(`${runner.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const s = (await res.json()) as { id: string; token: string };
  for (let i = 0; i < 600; i++) {
    const st = (await (await fetch(`${runner.url}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as { state: string };
    if (st.state === 'ready') break;
    if (st.state === 'stopped') throw new Error('session stopped');
    await sleep(500);
  }
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const terms = Array.from({ length: terminals }, () => openAcking(runner.url, s.id, s.token));
  while (!terms.every((t) => t.ready())) await sleep(50);
  await sleep(2000);
  const rssPerTerminal = (process.memoryUsage().rss - rss0) / terminals;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [i, t] of terms.entries()) t.send(`head -c ${mb}M /dev/urandom | base64 -w 120; echo __DONE$((${i} + 1000))__\r`);
  while (!terms.every((t, i) => t.tail().includes(`__DONE${i + 1000}__`))) await sleep(20);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const bytes = terms.reduce((n, t) => n + t.bytes(), 0);
  const mem = await runner.provider.memoryUsage(s.id).catch(() => ({ workstation: 0, registry: 0 }));
  const out = {
    backend: runner.config.sandboxBackend,
    terminals,
    mbRelayed: +(bytes / 1e6).toFixed(1),
    wallSeconds: +wall.toFixed(1),
    runnerCpuSeconds: +cpuSeconds.toFixed(2),
    mbPerRunnerCpuSecond: +(bytes / 1e6 / cpuSeconds).toFixed(1),
    mbPerSecondWall: +(bytes / 1e6 / wall).toFixed(1),
    runnerRssPerIdleTerminalKiB: Math.round(rssPerTerminal / 1024),
    sandboxMemoryMiB: { workstation: Math.round(mem.workstation / 2 ** 20), registry: Math.round(mem.registry / 2 ** 20) },
  };
  console.log(JSON.stringify(out, null, 2));
  for (const t of terms) t.ws.close();
} finally {
  await runner.close();
}
