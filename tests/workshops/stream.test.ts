/** The workshop event stream without Docker: coalescing per learner, keep-alive, no leak between workshops, ends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { WorkshopStreams } from '../../runner/src/workshops/stream.ts';
import { sleep } from '../support/wait.ts';

class FakeResponse extends EventEmitter {
  text = '';
  writableEnded = false;
  status = 0;
  headers: Record<string, string> = {};
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
  events(): { event: string; data: any }[] {
    return [...this.text.matchAll(/event: (.*)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) }));
  }
}
const fake = () => new FakeResponse();
const asRes = (f: FakeResponse) => f as unknown as ServerResponse;

test('a burst of one learner: the first row at once, the latest at the end of the window, nothing more', async () => {
  const s = new WorkshopStreams(100, 60_000);
  const r = fake();
  s.open('w1', asRes(r));
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type']!, /text\/event-stream/);
  assert.ok(r.text.startsWith('retry: 2000\n\n'));
  let n = 0;
  for (let i = 0; i < 50; i++) s.learner('w1', 'a', () => ({ session: 'a', n: ++n }));
  s.learner('w1', 'b', () => ({ session: 'b' }));
  assert.deepEqual(r.events().map((e) => e.data), [{ session: 'a', n: 1 }, { session: 'b' }]);
  await sleep(250);
  const rows = r.events().map((e) => e.data);
  assert.equal(rows.length, 3, JSON.stringify(rows));
  assert.deepEqual(rows[2], { session: 'a', n: 2 }, 'the latest state, read when sent');
  s.close();
  assert.equal(r.writableEnded, true);
});

test('events stay in their workshop; end() ends only that workshop; keep-alive comments', async () => {
  const s = new WorkshopStreams(10, 50);
  const r1 = fake();
  const r2 = fake();
  s.open('w1', asRes(r1));
  s.open('w2', asRes(r2));
  s.learner('w1', 'a', () => ({ session: 'a' }));
  s.send('w2', 'workshop', { id: 'w2' });
  assert.deepEqual(r1.events().map((e) => e.event), ['learner']);
  assert.deepEqual(r2.events().map((e) => e.event), ['workshop']);
  await sleep(120);
  assert.match(r1.text, /: keep-alive\n\n/);
  s.end('w1', { event: 'workshop', data: { id: 'w1', state: 'ended' } });
  assert.equal(r1.writableEnded, true);
  assert.equal(r1.events().at(-1)!.data.state, 'ended');
  assert.equal(r2.writableEnded, false);
  assert.equal(s.count('w1'), 0);
  assert.equal(s.count('w2'), 1);
  s.close();
  assert.equal(r2.writableEnded, true);
  const late = fake();
  s.open('w2', asRes(late));
  assert.equal(late.writableEnded, true, 'no stream opens after close');
});
