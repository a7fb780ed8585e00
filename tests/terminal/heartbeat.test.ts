/**
 * The keepalive shared by learner terminals and instructor shadows, on real WebSockets over
 * loopback: a client that answers pings stays, one that does not is terminated, unless the
 * server is excused from judging (input paused: pongs could not be read).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startHeartbeat } from '../../runner/src/terminal/heartbeat.ts';
import { sleep } from '../support/wait.ts';

async function withServer(excused: () => boolean, fn: (url: string) => Promise<void>): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const timers: NodeJS.Timeout[] = [];
  wss.on('connection', (ws) => {
    const timer = startHeartbeat(ws, 100, excused);
    timers.push(timer);
    ws.on('close', () => clearInterval(timer));
  });
  try {
    await fn(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  } finally {
    timers.forEach(clearInterval);
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
}

test('a client that answers pings stays; one that does not is terminated', async () => {
  await withServer(() => false, async (url) => {
    const live = new WebSocket(url);
    const silent = new WebSocket(url, { autoPong: false });
    await Promise.all([once(live, 'open'), once(silent, 'open')]);
    const [code] = (await once(silent, 'close')) as [number];
    assert.equal(code, 1006, 'terminated, not closed politely');
    await sleep(500);
    assert.equal(live.readyState, WebSocket.OPEN);
    live.close();
    await once(live, 'close');
  });
});

test('while excused, a client that does not answer is kept', async () => {
  await withServer(() => true, async (url) => {
    const silent = new WebSocket(url, { autoPong: false });
    await once(silent, 'open');
    await sleep(600);
    assert.equal(silent.readyState, WebSocket.OPEN);
    silent.close();
    await once(silent, 'close');
  });
});
