/** Reads an asciicast v2 file and fails on anything a player would not replay: the header, each event's shape, timestamps that go back. */
import assert from 'node:assert/strict';

export type CastEvent = [number, string, string];

export function parseAsciicast(text: string): { header: { version: number; width: number; height: number; timestamp?: number; [k: string]: unknown }; events: CastEvent[] } {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const lines = text.split('\n').filter((l) => l !== '');
  const header = JSON.parse(lines[0]!);
  assert.equal(header.version, 2, 'asciicast v2');
  assert.ok(Number.isInteger(header.width) && header.width > 0, 'header width');
  assert.ok(Number.isInteger(header.height) && header.height > 0, 'header height');
  let prev = 0;
  const events = lines.slice(1).map((l, i) => {
    const e = JSON.parse(l) as CastEvent;
    assert.ok(Array.isArray(e) && e.length === 3, `event ${i + 1} is [time, code, data]`);
    assert.equal(typeof e[0], 'number');
    assert.ok(['o', 'i', 'r', 'm'].includes(e[1]), `event ${i + 1} code ${e[1]}`);
    assert.equal(typeof e[2], 'string');
    assert.ok(e[0] >= prev, `timestamps never go back (event ${i + 1}: ${e[0]} < ${prev})`);
    if (e[1] === 'r') assert.match(e[2], /^\d+x\d+$/);
    prev = e[0];
    return e;
  });
  return { header, events };
}

/** All "o" events as one text: a terminal's output may be cut into events anywhere, even inside a word. */
export function castOutput(cast: { events: CastEvent[] }): string {
  return cast.events.filter(([, c]) => c === 'o').map(([, , d]) => d).join('');
}
