/** ShellInput alone: input held until the shell exists and during a resize, and paced by the shell's backpressure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable, type Duplex } from 'node:stream';
import { ShellInput } from '../../runner/src/terminal/input.ts';

function source() {
  const log: string[] = [];
  return { log, pause: () => log.push('pause'), resume: () => log.push('resume') };
}

/** A shell stream that accepts `capacity` bytes before asking the writer to wait. */
function shell(capacity: number) {
  const got: string[] = [];
  let release: (() => void) | null = null;
  const w = new Writable({
    highWaterMark: capacity,
    write(chunk, _enc, cb) {
      got.push(String(chunk));
      release = cb; // completes only when the test says so
    },
  });
  // ShellInput only writes and waits for 'drain': a Writable stands in for the TTY stream.
  return { stream: w as unknown as Duplex, got, drain: () => release?.() };
}

test('input before the shell exists is kept, in order, and delivered on attach', async () => {
  const src = source();
  const input = new ShellInput(src);
  input.write(Buffer.from('a'));
  input.write(Buffer.from('b'));
  const sh = shell(1024);
  input.attach(sh.stream);
  assert.equal(sh.got.join(''), 'a');
  sh.drain();
  await new Promise((r) => setImmediate(r));
  assert.equal(sh.got.join(''), 'ab');
  assert.equal(src.log[0], 'pause', 'the WebSocket starts paused');
  assert.equal(src.log.at(-1), 'resume', 'and resumes once the shell is there');
});

test('a resize in flight holds input until it settles (keystrokes never overtake it)', async () => {
  const src = source();
  const input = new ShellInput(src);
  const sh = shell(1024 * 1024);
  input.attach(sh.stream);
  let done!: () => void;
  input.hold(new Promise<void>((r) => (done = r)));
  input.write(Buffer.from('x'));
  assert.deepEqual(sh.got, [], 'held while resizing');
  done();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sh.got, ['x']);
  assert.equal(src.log.at(-1), 'resume');
});

test('backpressure: the WebSocket is paused while the shell stream is full, resumed on drain', async () => {
  const src = source();
  const input = new ShellInput(src);
  const sh = shell(4);
  input.attach(sh.stream);
  input.write(Buffer.from('12345678')); // over the stream's high-water mark
  assert.equal(src.log.at(-1), 'pause');
  sh.drain();
  await new Promise((r) => setImmediate(r));
  assert.equal(src.log.at(-1), 'resume');
  input.close();
  input.write(Buffer.from('after close'));
  assert.ok(!sh.got.join('').includes('after close'));
});
