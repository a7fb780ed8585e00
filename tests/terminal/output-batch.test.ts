import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputBatch } from '../../runner/src/terminal/output-batch.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const limits = { windowMs: 30, bulkBytes: 100, maxBytes: 1000 };

function batch() {
  const sent: string[] = [];
  const b = new OutputBatch((c) => sent.push(c.toString()), limits);
  return { b, sent };
}

test('small output goes out at once, however fast it comes (a keystroke never waits)', () => {
  const { b, sent } = batch();
  for (const ch of 'hello') b.push(Buffer.from(ch));
  assert.deepEqual(sent, ['h', 'e', 'l', 'l', 'o']);
  b.close();
});

test('past bulkBytes within a window, output is gathered into one frame sent when the window ends', async () => {
  const { b, sent } = batch();
  b.push(Buffer.from('a'.repeat(90)));
  b.push(Buffer.from('b'.repeat(20))); // 110 > 100 in this window: gathered
  b.push(Buffer.from('c'.repeat(20)));
  assert.deepEqual(sent, ['a'.repeat(90)]);
  await sleep(60);
  assert.deepEqual(sent, ['a'.repeat(90), 'b'.repeat(20) + 'c'.repeat(20)]);
  b.close();
});

test('a gathered frame leaves as soon as maxBytes are gathered, and order is kept', () => {
  const { b, sent } = batch();
  b.push(Buffer.from('x'.repeat(100)));
  for (let i = 0; i < 12; i++) b.push(Buffer.from(String(i % 10).repeat(100)));
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.length, 1000);
  b.close(); // the rest
  assert.equal(sent.join(''), 'x'.repeat(100) + Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(100)).join(''));
});

test('once a window passes with nothing gathered, output is immediate again', async () => {
  const { b, sent } = batch();
  b.push(Buffer.from('a'.repeat(150)));
  b.push(Buffer.from('b'));
  assert.deepEqual(sent, ['a'.repeat(150)]);
  await sleep(50); // the window ends: 'b' leaves, and the flow goes on in bulk for one more window
  assert.deepEqual(sent, ['a'.repeat(150), 'b']);
  await sleep(80); // a whole window with nothing: quiet again
  b.push(Buffer.from('z'));
  assert.deepEqual(sent, ['a'.repeat(150), 'b', 'z']);
  b.close();
});

test('flush sends what is gathered now; close sends the rest and drops later output', () => {
  const { b, sent } = batch();
  b.push(Buffer.from('a'.repeat(200)));
  b.push(Buffer.from('tail'));
  b.flush();
  assert.deepEqual(sent, ['a'.repeat(200), 'tail']);
  b.push(Buffer.from('more'));
  b.close();
  b.push(Buffer.from('late'));
  assert.deepEqual(sent, ['a'.repeat(200), 'tail', 'more']);
});
