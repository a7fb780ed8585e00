/** protocol/terminal.ts: what each side accepts, what it ignores, and that the runner speaks it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { CLOSE, LIMITS, clampSize, encodeMessage, parseClientMessage, parseServerEvent, type ServerEvent } from '../../protocol/terminal.ts';

test('client messages: resize clamped, ack and ping kept, anything else ignored', () => {
  assert.deepEqual(parseClientMessage('{"type":"resize","cols":99999,"rows":99999}'), { type: 'resize', cols: LIMITS.maxCols, rows: LIMITS.maxRows });
  assert.deepEqual(parseClientMessage('{"type":"resize","cols":"120","rows":40.7}'), { type: 'resize', cols: 120, rows: 40 });
  assert.deepEqual(parseClientMessage('{"type":"ack","bytes":4096.5}'), { type: 'ack', bytes: 4096 });
  assert.deepEqual(parseClientMessage('{"type":"ping","t":5}'), { type: 'ping', t: 5 });
  assert.deepEqual(parseClientMessage('{"type":"ping","t":{}}'), { type: 'ping' });
  for (const bad of [
    'not json',
    '{}',
    '[]',
    'null',
    '"resize"',
    '{"type":"resize","cols":0,"rows":0}',
    '{"type":"resize","cols":"a","rows":{}}',
    '{"type":"ack","bytes":-5}',
    '{"type":"ack","bytes":"5"}',
    '{"type":"what"}',
    JSON.stringify({ type: 'ping', pad: 'x'.repeat(LIMITS.maxControlChars) }),
  ]) {
    assert.equal(parseClientMessage(bad), null, bad.slice(0, 60));
  }
  assert.equal(clampSize(undefined, 5), null);
  assert.deepEqual(clampSize(80, 24), { cols: 80, rows: 24 });
});

test('server events round-trip through encode/parse; unknown or malformed ones are ignored', () => {
  const events: ServerEvent[] = [
    { type: 'status', state: 'starting' },
    { type: 'status', state: 'starting', queue: { position: 3, estimateMs: 12_000 } },
    { type: 'ready', cols: 80, rows: 24, expiresAt: '2026-01-01T00:00:00.000Z' },
    { type: 'exit', code: 7 },
    { type: 'expiring', expiresAt: '2026-01-01T00:00:00.000Z' },
    { type: 'extended', expiresAt: '2026-01-01T01:00:00.000Z' },
    { type: 'ended', reason: 'expired' },
    { type: 'error', code: 'shell_failed', message: 'no shell' },
    { type: 'pong', t: 'x' },
    { type: 'broadcast', message: 'Перерыв 5 минут', at: '2026-01-01T00:00:00.000Z' },
    { type: 'watched', watching: true },
    { type: 'shadow', terminals: 2 },
  ];
  for (const e of events) assert.deepEqual(parseServerEvent(encodeMessage(e)), e);
  for (const bad of ['{"type":"ended","reason":"bored"}', '{"type":"ready"}', '{"type":"watched","watching":"yes"}', '{"type":"shadow","terminals":-1}', '{"type":"future"}', 'x']) {
    assert.equal(parseServerEvent(bad), null, bad);
  }
});

test('close codes are the ones the runner and the client use, and nothing else', () => {
  assert.deepEqual(Object.values(CLOSE).sort(), [1000, 1008, 1009, 1011, 1012, 1013]);
  // Neither side spells a close code or an event type by hand: both go through the protocol module.
  const runner = ['bridge.ts', 'session-events.ts', 'hub.ts', 'shadow.ts'].map((f) => readFileSync(new URL(`../../runner/src/terminal/${f}`, import.meta.url), 'utf8')).join('\n');
  const lib = new URL('../../site/src/lib/', import.meta.url);
  const client = readdirSync(lib)
    .filter((f) => /^terminal-.*\.ts$/.test(f))
    .map((f) => readFileSync(new URL(f, lib), 'utf8'))
    .join('\n');
  for (const [name, src] of [
    ['runner', runner],
    ['client', client],
  ] as const) {
    assert.match(src, /protocol\/terminal\.ts/, `${name} imports the protocol`);
    assert.doesNotMatch(src, /\b(1001|1006|1008|1011|1012|1013|4401|4404)\b/, `${name} has no literal close code`);
    assert.doesNotMatch(src, /JSON\.parse|JSON\.stringify/, `${name} (de)serialises frames only through the protocol`);
  }
});
