/** FlowControl alone: when output pauses and resumes (ack-based and socket backlog). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowControl } from '../../runner/src/terminal/flow-control.ts';
import { FLOW } from '../../protocol/terminal.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

test('defaults are the protocol`s: pause above 2 MiB unacked, resume below 512 KiB', () => {
  assert.equal(FLOW.highBytes, 2 * MiB);
  assert.equal(FLOW.lowBytes, 512 * KiB);
  const f = new FlowControl({ socketHighBytes: Infinity });
  assert.equal(f.commit(0), false, 'first ack turns ack mode on; nothing to resume');
  let paused = false;
  let sent = 0;
  while (!paused) {
    paused = f.account(64 * KiB);
    sent += 64 * KiB;
  }
  assert.equal(sent, 2 * MiB + 64 * KiB, 'pauses on the first chunk over 2 MiB');
  assert.ok(f.isPaused);
  assert.equal(f.account(64 * KiB), false, 'already paused: no second pause');
  assert.equal(f.commit(1 * MiB), false, '1.1 MiB left: still above the low mark');
  assert.equal(f.pending, sent + 64 * KiB - 1 * MiB);
  assert.equal(f.commit(f.pending - 512 * KiB), false, 'exactly 512 KiB left: not below');
  assert.equal(f.commit(1), true, 'below 512 KiB: resume');
  assert.equal(f.isPaused, false);
  assert.equal(f.commit(1), false, 'not paused: nothing to resume');
});

test('a client that never acks is never paused by acks (only by the socket backlog)', () => {
  const f = new FlowControl({ socketHighBytes: 1 * MiB });
  for (let i = 0; i < 1000; i++) assert.equal(f.account(64 * KiB, 0), false);
  assert.equal(f.pending, 0, 'nothing counts as pending without ack mode');
  assert.equal(f.account(10, 1 * MiB + 1), true, 'backlog over the socket mark pauses');
  assert.equal(f.drained(1 * MiB + 1), false, 'still over: stays paused');
  assert.equal(f.drained(0), true, 'drained: resume');
});

test('both reasons must clear before output resumes', () => {
  const f = new FlowControl({ highBytes: 100, lowBytes: 50, socketHighBytes: 1000 });
  f.commit(0);
  assert.equal(f.account(101, 2000), true);
  assert.equal(f.commit(101, 2000), false, 'acked, but the socket is still full');
  assert.equal(f.drained(0), true);
  assert.equal(f.account(101, 0), true);
  assert.equal(f.drained(0), false, 'socket empty, but unacked is above the low mark');
  assert.equal(f.commit(60, 0), true);
});

test('acks of more than was sent do not go negative; bad limits are refused', () => {
  const f = new FlowControl({ highBytes: 100, lowBytes: 10 });
  f.commit(1_000_000);
  assert.equal(f.pending, 0);
  assert.equal(f.account(100), false);
  assert.equal(f.account(1), true);
  assert.throws(() => new FlowControl({ highBytes: 10, lowBytes: 20 }), RangeError);
});
