/** The cold-start queue (runner/src/core/start-queue.ts): slots, order, estimates, cancelling. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { queueStarts, StartQueue } from '../../runner/src/core/start-queue.ts';
import { createWithin } from '../../runner/src/core/creation.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';

/** A start that ends when the test says so. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { done, open };
}

const tick = () => new Promise((r) => setImmediate(r));

it('runs at most `slots` starts at once; learners before pool refills, in arrival order among themselves', async () => {
  const q = new StartQueue({ slots: 2 });
  const order: string[] = [];
  const gates = new Map<string, ReturnType<typeof gate>>();
  const start = (id: string, kind: 'learner' | 'pool') => {
    const g = gate();
    gates.set(id, g);
    return q.run(id, kind, async () => {
      order.push(id);
      await g.done;
      return id;
    });
  };
  const all = [start('p1', 'pool'), start('a', 'learner'), start('p2', 'pool'), start('b', 'learner'), start('c', 'learner')];
  await tick();
  assert.deepEqual(order, ['p1', 'a'], 'two slots');
  assert.deepEqual(q.stats().waiting, 3);
  assert.equal(q.place('b')!.position, 1, 'learners jump the pool refill');
  assert.equal(q.place('c')!.position, 2);
  assert.equal(q.place('p2')!.position, 3);
  assert.equal(q.place('a'), null, 'a running start has no place');
  gates.get('p1')!.open();
  await tick();
  await tick();
  assert.deepEqual(order, ['p1', 'a', 'b']);
  for (const id of ['a', 'b', 'c', 'p2']) {
    gates.get(id)?.open();
    await tick();
    await tick();
  }
  for (const id of ['c', 'p2']) gates.get(id)!.open();
  assert.deepEqual(await Promise.all(all), ['p1', 'a', 'p2', 'b', 'c']);
  assert.deepEqual(order, ['p1', 'a', 'b', 'c', 'p2']);
});

it('estimates from measured starts and counts down as time passes', async () => {
  let now = 0;
  const q = new StartQueue({ slots: 1, now: () => now });
  assert.equal(q.typicalStartMs(), 5_000, 'a first guess before anything is measured');
  // Three measured starts of 4 s: the median becomes 4 s.
  for (let i = 0; i < 3; i++) {
    await q.run(`m${i}`, 'learner', async () => {
      now += 4_000;
    });
  }
  assert.equal(q.typicalStartMs(), 4_000);
  const g = gate();
  const running = q.run('r', 'learner', () => g.done);
  const waiting = [q.run('w1', 'learner', async () => {}), q.run('w2', 'learner', async () => {})];
  await tick();
  // r began at `now`: w1 starts in 4 s and answers 4 s later; w2 one start after that.
  assert.deepEqual(q.place('w1'), { position: 1, estimateMs: 8_000 });
  assert.deepEqual(q.place('w2'), { position: 2, estimateMs: 12_000 });
  now += 3_000;
  assert.deepEqual(q.place('w1'), { position: 1, estimateMs: 5_000 }, 'counts down');
  now += 5_000;
  assert.deepEqual(q.place('w1'), { position: 1, estimateMs: 4_000 }, 'a start over its time: at least one start more');
  g.open();
  await Promise.all([running, ...waiting]);
  assert.equal(q.stats().running, 0);
});

it('a rising start time is followed at once: the mean of the last three when it is above the median', async () => {
  let now = 0;
  const q = new StartQueue({ slots: 1, now: () => now });
  for (const ms of [2_000, 2_000, 2_000, 2_000, 2_000, 2_000, 6_000, 7_000, 8_000]) {
    await q.run(`m${ms}-${now}`, 'learner', async () => {
      now += ms;
    });
  }
  assert.equal(q.typicalStartMs(), 7_000, 'not the median of nine (2 s)');
  await q.run('fast', 'learner', async () => {
    now += 1_000;
  });
  assert.equal(q.typicalStartMs(), 5_333, 'the mean of the last three (7, 8, 1 s), still above the median of 2 s');
});

it('a cancelled wait leaves the queue; a failed start frees its slot and is not measured', async () => {
  const q = new StartQueue({ slots: 1 });
  const g = gate();
  const first = q.run('a', 'learner', () => g.done);
  const abort = new AbortController();
  const second = q.run('b', 'learner', async () => 'b', abort.signal);
  const third = q.run('c', 'learner', async () => 'c');
  await tick();
  abort.abort();
  await assert.rejects(second, { name: 'AbortError' });
  assert.equal(q.place('c')!.position, 1);
  g.open();
  await first;
  assert.equal(await third, 'c');
  await assert.rejects(q.run('d', 'learner', async () => { throw new Error('engine down'); }), /engine down/);
  assert.equal(q.stats().running, 0);
  assert.equal(await q.run('e', 'learner', async () => 'e'), 'e');
});

it('SESSION_START_TIMEOUT_MS bounds the start itself, not the wait for a slot', async () => {
  const q = new StartQueue({ slots: 1 });
  const fake = {
    create: async (id: string) => {
      await new Promise((r) => setTimeout(r, id === 'slow' ? 300 : 50));
      return { id, workstationIp: '', createdAt: new Date() };
    },
  } as unknown as SandboxProvider;
  const provider = queueStarts(fake, q);
  const slow = createWithin(provider, 'slow', new AbortController(), 1_000);
  // Waits about 300 ms for the slot, then starts in 50 ms: within its 200 ms.
  await createWithin(provider, 'next', new AbortController(), 200);
  await slow;
  // A start that itself overruns is still cancelled.
  const stuck = { create: (_id: string, opts?: { signal?: AbortSignal }) => new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('aborted')))) } as unknown as SandboxProvider;
  const abort = new AbortController();
  const alive = setTimeout(() => {}, 5_000); // the runner's timers are unref'd: keep this test's loop alive
  await assert.rejects(createWithin(queueStarts(stuck, new StartQueue({ slots: 1 })), 'x', abort, 100), /did not start within/);
  assert.ok(abort.signal.aborted);
  clearTimeout(alive);
});
