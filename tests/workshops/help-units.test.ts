/**
 * The pieces of issue 23 alone: the take-over state machine (every way it ends), the help
 * desk (one hand, N per hour, order), the asciicast writer (v2, monotonic time, redaction
 * across chunks, UTF-8 split across chunks, the size bound) and the retention sweep.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Takeovers, type TakeoverRecord } from '../../runner/src/terminal/takeover.ts';
import { HelpDesk } from '../../runner/src/workshops/help.ts';
import { AsciicastWriter, REDACTED, TRUNCATED_MARKER } from '../../runner/src/workshops/asciicast.ts';
import { sweepWorkshopData } from '../../runner/src/workshops/data.ts';
import { ApiError } from '../../runner/src/core/errors.ts';
import type { ServerEvent } from '../../protocol/terminal.ts';
import { castOutput, parseAsciicast } from './asciicast-check.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rl-help-units-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function machine(tuning = { askTimeoutMs: 10_000, maxMs: 10_000 }) {
  const told: [string, object, ServerEvent][] = [];
  const ended: TakeoverRecord[] = [];
  let now = 1000;
  const t = new Takeovers({ tuning, tell: (id, owner, e) => told.push([id, owner, e]), ended: (r) => ended.push(r), now: () => now });
  return { t, told, ended, tick: (ms: number) => (now += ms) };
}

describe('take-over state machine', () => {
  test('no write before consent; consent makes only the asking owner writable; each end path names its reason', async () => {
    const { t, told, ended, tick } = machine();
    const owner = {};
    const other = {};
    assert.equal(t.canWrite('s', owner), false);
    assert.equal(t.answer('s', true), false, 'nothing to allow');
    assert.equal(t.ask('s', owner, 'instructor'), 'asked');
    assert.equal(t.ask('s', other, 'operator'), 'busy');
    assert.equal(t.canWrite('s', owner), false, 'asked is not allowed');
    tick(500);
    assert.equal(t.answer('s', true), true);
    assert.equal(t.canWrite('s', owner), true);
    assert.equal(t.canWrite('s', other), false);
    t.instructorEnds('s', other);
    assert.equal(t.state('s'), 'active', 'another view cannot end it');
    tick(2000);
    t.learnerEnds('s');
    assert.equal(t.canWrite('s', owner), false);
    assert.deepEqual(ended[0], { sessionId: 's', by: 'instructor', askedAt: 1000, startedAt: 1500, endedAt: 3500, reason: 'learner' });
    assert.deepEqual(told.map(([, , e]) => (e as any).state), ['asked', 'active', 'ended']);

    for (const [end, reason] of [
      [() => t.instructorEnds('s', owner), 'instructor'],
      [() => t.ownerClosed('s', owner), 'closed'],
      [() => t.sessionGone('s'), 'session'],
      [() => t.closeAll(), 'closed'],
    ] as [() => void, string][]) {
      t.ask('s', owner, 'instructor');
      t.answer('s', true);
      end();
      assert.equal(t.state('s'), 'none');
      assert.equal(ended.at(-1)!.reason, reason);
    }
    t.ask('s', owner, 'instructor');
    t.answer('s', false);
    assert.equal(ended.at(-1)!.reason, 'declined');
    assert.equal(ended.at(-1)!.startedAt, null);
  });

  test('timeouts: an unanswered ask, and an active take-over held too long', async () => {
    const { t, ended } = machine({ askTimeoutMs: 50, maxMs: 80 });
    const owner = {};
    t.ask('s', owner, 'instructor');
    await sleep(120);
    assert.equal(ended.at(-1)?.reason, 'timeout');
    assert.equal(ended.at(-1)?.startedAt, null);
    t.ask('s', owner, 'instructor');
    await sleep(20);
    t.answer('s', true);
    await sleep(40);
    assert.equal(t.canWrite('s', owner), true, 'the ask timer stopped at consent');
    await sleep(100);
    assert.equal(t.canWrite('s', owner), false);
    assert.equal(ended.at(-1)?.reason, 'timeout');
    assert.notEqual(ended.at(-1)?.startedAt, null);
  });
});

describe('help desk', () => {
  test('one open hand per learner, N per hour, queue by waiting time, persisted', () => {
    let now = 10_000_000;
    const dir = join(tmp, 'desk');
    const desk = new HelpDesk({ dir: () => dir, perHour: 2, now: () => now });
    const req = (session: string) => ({ session, name: session, message: '', lab: null, failing: [] });
    desk.raise('w', req('b'));
    now += 10;
    desk.raise('w', req('a'));
    assert.deepEqual(desk.queue('w').map((r) => r.session), ['b', 'a']);
    assert.throws(() => desk.raise('w', req('a')), (e: ApiError) => e.status === 409);
    desk.close('w', 'a', 'learner');
    desk.raise('w', req('a'));
    desk.close('w', 'a', 'learner');
    assert.throws(() => desk.raise('w', req('a')), (e: ApiError) => e.status === 429 && e.code === 'too_many_hands');
    now += 3_600_000;
    desk.raise('w', req('a'));
    assert.equal(desk.position('w', 'a'), 2);
    assert.deepEqual(desk.closeAll('w', 'broadcast').sort(), ['a', 'b']);
    const again = new HelpDesk({ dir: () => dir, perHour: 2 });
    assert.equal(again.all('w').length, 4, 'read back from help.json');
  });
});

describe('asciicast writer', () => {
  test('v2 header, monotonic timestamps even if the clock goes back, UTF-8 and secrets split across chunks', () => {
    const path = join(tmp, 'a.cast');
    const clock = [0, 5, 10, 8, 3, 20, 30, 40, 50, 60];
    let i = 0;
    const secret = 'SeCrEt-token-0123456789abcdef';
    const w = new AsciicastWriter({ path, width: 80, height: 24, budget: { left: 1e6 }, secrets: [secret], now: () => clock[Math.min(i++, clock.length - 1)]! });
    const text = Buffer.from(`привет ${secret} done`);
    w.output(text.subarray(0, 7)); // splits "и" in two
    w.output(text.subarray(7, 20)); // splits the secret
    w.output(text.subarray(20));
    w.resize(100, 30);
    w.marker('check tagging: passed');
    w.input(Buffer.from('ignored'));
    w.close();
    const raw = readFileSync(path, 'utf8');
    const cast = parseAsciicast(raw);
    assert.equal(cast.header.width, 80);
    assert.ok(!raw.includes(secret));
    const out = castOutput(cast);
    assert.equal(out, `привет ${REDACTED} done`);
    assert.ok(!out.includes('\ufffd'), 'no broken characters');
    assert.ok(cast.events.some(([, c, d]) => c === 'r' && d === '100x30'));
    assert.ok(cast.events.some(([, c, d]) => c === 'm' && d === 'check tagging: passed'));
    assert.equal(cast.events.filter(([, c]) => c === 'i').length, 0);
  });

  test('a secret added later (an instructor taking over) is kept out from then on, in output and input', () => {
    const path = join(tmp, 'late.cast');
    const w = new AsciicastWriter({ path, width: 80, height: 24, budget: { left: 1e6 }, recordInput: true });
    const key = 'instructor-key-0123456789abcdefghij';
    w.addSecret(key);
    w.input(Buffer.from(key.slice(0, 10)));
    w.input(Buffer.from(key.slice(10) + '\r'));
    w.output(Buffer.from(`echo ${key}\r\n${key}\r\n`));
    w.close();
    const raw = readFileSync(path, 'utf8');
    assert.ok(!raw.includes(key));
    assert.ok(!raw.includes(key.slice(5, 25)), 'not even in pieces across events');
  });

  test('input only when asked for; the shared budget ends a recording with a marker', () => {
    const budget = { left: 2000 };
    const p1 = join(tmp, 'b1.cast');
    const p2 = join(tmp, 'b2.cast');
    const w1 = new AsciicastWriter({ path: p1, width: 80, height: 24, budget, recordInput: true });
    w1.input(Buffer.from('ls\r'));
    for (let k = 0; k < 50; k++) w1.output(Buffer.from('x'.repeat(100)));
    w1.close();
    const w2 = new AsciicastWriter({ path: p2, width: 80, height: 24, budget });
    w2.output(Buffer.from('more'));
    w2.close();
    const c1 = parseAsciicast(readFileSync(p1, 'utf8'));
    assert.deepEqual(c1.events[0]!.slice(1), ['i', 'ls\r']);
    assert.deepEqual(c1.events.at(-1)!.slice(1), ['m', TRUNCATED_MARKER]);
    const size = readFileSync(p1).length + readFileSync(p2).length;
    assert.ok(size < 2000 + 400, `both files within the budget (${size})`);
  });
});

describe('retention', () => {
  test('removes what ended longer ago than the retention and what no workshop owns; keeps open and recent ones', () => {
    const root = join(tmp, 'retention');
    for (const id of ['open', 'recent', 'old', 'orphan']) mkdirSync(join(root, id, 'recordings'), { recursive: true });
    const day = 86_400_000;
    const now = 100 * day;
    const ended: Record<string, number | null> = { open: null, recent: now - 6 * day, old: now - 8 * day };
    const removed = sweepWorkshopData(root, (id) => ended[id], 7 * day, now);
    assert.deepEqual(removed.sort(), ['old', 'orphan']);
    assert.ok(existsSync(join(root, 'open')) && existsSync(join(root, 'recent')));
    assert.ok(!existsSync(join(root, 'old')));
  });
});
