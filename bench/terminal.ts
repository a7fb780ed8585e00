/**
 * Terminal figures for `npm run bench` (the speeds the terminal tests no longer assert):
 *   interrupt     Ctrl+C during a `yes` flood -> the next prompt's marker, through the runner,
 *                 with a client that acknowledges as the site does (ack-based flow control on)
 *   restart       TerminalServer.closeAll() (1012) -> a new terminal's `ready` event
 *   hang-up       terminal closed while `sleep` runs -> no process of that terminal left
 */
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'ws';
import type { Runner } from '../runner/src/app.ts';
import { CLOSE, FLOW, encodeMessage, parseServerEvent, type ServerEvent } from '../protocol/terminal.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AckingTerminal {
  ws: WebSocket;
  tail(): string;
  events: ServerEvent[];
  until(test: () => boolean, timeoutMs: number, what: string): Promise<void>;
  send(s: string | Buffer): void;
  closed: Promise<number>;
}

function open(runner: Runner, id: string, token: string): AckingTerminal {
  const ws = new WebSocket(`${runner.url.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${encodeURIComponent(token)}`);
  let tail = '';
  let unacked = 0;
  const events: ServerEvent[] = [];
  ws.on('message', (d, bin) => {
    const buf = d as Buffer;
    if (!bin) {
      const e = parseServerEvent(buf.toString());
      if (e) events.push(e);
      return;
    }
    tail = (tail + buf.toString('latin1')).slice(-4096);
    unacked += buf.length;
    if (unacked >= FLOW.ackEveryBytes) {
      ws.send(encodeMessage({ type: 'ack', bytes: unacked }));
      unacked = 0;
    }
  });
  ws.once('open', () => ws.send(encodeMessage({ type: 'ack', bytes: 0 })));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  return {
    ws,
    tail: () => tail,
    events,
    async until(test, timeoutMs, what) {
      const end = Date.now() + timeoutMs;
      while (!test()) {
        if (Date.now() > end) throw new Error(`bench terminal: timeout waiting for ${what}`);
        await sleep(2);
      }
    },
    send: (s) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(typeof s === 'string' ? Buffer.from(s) : s, { binary: true });
    },
    closed,
  };
}

function terminalProcesses(sessionId: string): number {
  const ws = execFileSync('docker', ['ps', '-q', '--filter', `label=registry-lab.session=${sessionId}`, '--filter', 'label=registry-lab.role=workstation'], {
    encoding: 'utf8',
  }).trim();
  const names = execFileSync('docker', ['exec', ws, 'ps', '-e', '-o', 'comm='], { encoding: 'utf8' }).split('\n').map((s) => s.trim());
  return names.filter((n) => n === 'bash' || n === 'sleep' || n === 'yes').length;
}

export async function terminalFigures(runner: Runner, id: string, token: string, samples: number) {
  const interrupt: number[] = [];
  const restart: number[] = [];
  const hangup: number[] = [];
  const base = terminalProcesses(id);
  for (let i = 0; i < samples; i++) {
    const t = open(runner, id, token);
    await t.until(() => t.events.some((e) => e.type === 'ready'), 60_000, 'ready');
    t.send('yes\r');
    await t.until(() => t.tail().endsWith('y\r\n'), 30_000, 'flood');
    await sleep(1000);
    const t0 = performance.now();
    t.send(Buffer.from([3]));
    const mark = `__INT${i}_`;
    t.send(`echo ${mark}$((6*7))\r`);
    await t.until(() => t.tail().includes(`${mark}42`), 60_000, 'prompt after Ctrl+C');
    interrupt.push(performance.now() - t0);

    const t1 = performance.now();
    runner.terminals.closeAll();
    if ((await t.closed) !== CLOSE.restart) throw new Error('closeAll did not close with 1012');
    const again = open(runner, id, token);
    await again.until(() => again.events.some((e) => e.type === 'ready'), 60_000, 'ready after 1012');
    restart.push(performance.now() - t1);

    again.send('sleep 600\r');
    await sleep(300);
    const t2 = performance.now();
    again.ws.terminate();
    const end = Date.now() + 60_000;
    while (terminalProcesses(id) > base && Date.now() < end) await sleep(100);
    hangup.push(performance.now() - t2);
  }
  return { interrupt, restart, hangup };
}
