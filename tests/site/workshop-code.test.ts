import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCode, isPlausibleCode, joinLink, normalizeCode } from '../../site/src/lib/workshop-code.ts';
import { qrModules, qrSvg } from '../../site/src/lib/workshop-qr.ts';

test('join codes forgive case, spaces, dashes and other separators', () => {
  for (const typed of ['abc-def', 'ABC DEF', ' aBc_dEf ', 'abc.def', 'ABCDEF', 'a b c - d e f']) {
    assert.equal(normalizeCode(typed), 'ABCDEF', typed);
    assert.equal(formatCode(typed), 'ABC-DEF', typed);
  }
  assert.equal(formatCode('abcd'), 'ABCD', 'other lengths are not cut into groups');
  assert.ok(isPlausibleCode('abc-def'));
  assert.ok(!isPlausibleCode('ab'), 'too short');
  assert.ok(!isPlausibleCode('---'), 'only separators');
  assert.ok(!isPlausibleCode('x'.repeat(13)), 'too long');
});

test('the join link carries the formatted code, escaped', () => {
  assert.equal(joinLink('http://127.0.0.1:4321', 'abc def'), 'http://127.0.0.1:4321/join/?code=ABC-DEF');
});

test('the QR code is an SVG drawn offline, bigger for longer links', () => {
  const svg = qrSvg('http://127.0.0.1:4321/join/?code=ABC-DEF');
  assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
  assert.match(svg, /<path d="M[\d,hvz.M-]+" fill="#000"\/>/);
  assert.ok(qrModules('https://courses.example.org/join/?code=ABC-DEF&x=' + 'y'.repeat(80)) > qrModules('http://h/join/?code=ABC-DEF'));
});
