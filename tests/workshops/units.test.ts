/** Workshop pieces without Docker: join codes, CSV cells, "failing since", the wrong-code limit, log redaction, admission by seats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_ALPHABET, formatCode, newCode, normalizeCode } from '../../runner/src/workshops/codes.ts';
import { csvCell, resultsCsv } from '../../runner/src/workshops/results.ts';
import { failingSince } from '../../runner/src/workshops/rows.ts';
import { WrongCodeLimit } from '../../runner/src/workshops/attempts.ts';
import { redactUrl } from '../../runner/src/http/app.ts';
import { Admission } from '../../runner/src/core/admission.ts';
import { ApiError } from '../../runner/src/core/errors.ts';
import { testSessionSettings } from '../unit/fake-provider.ts';

test('codes: 6 characters without look-alikes, shown as ABC-DEF, typed any way', () => {
  for (const ch of '01OIL') assert.ok(!CODE_ALPHABET.includes(ch), ch);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const c = newCode();
    assert.match(c, /^[A-HJKMNP-Z2-9]{6}$/);
    seen.add(c);
  }
  assert.ok(seen.size > 1990, 'codes are random');
  assert.equal(formatCode('ABCDEF'), 'ABC-DEF');
  assert.equal(normalizeCode(' abc-def '), 'ABCDEF');
  assert.equal(normalizeCode('ab c d e f'), 'ABCDEF');
  assert.equal(normalizeCode('ABC—DEF'), 'ABCDEF');
  assert.equal(normalizeCode('ABC-DE0'), null, 'zero is not in the alphabet');
  assert.equal(normalizeCode('ABCDE'), null);
  assert.equal(normalizeCode(''), null);
});

test('CSV: formula prefixes neutralised, RFC 4180 quoting', () => {
  assert.equal(csvCell('Anna'), 'Anna');
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+7 900'), "'+7 900");
  assert.equal(csvCell('-2'), "'-2");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('\rx'), `"'\rx"`);
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(true), 'true');
  assert.equal(csvCell(null), '');
  const row = { session: 's1', name: '=x', labs: { t: { passed: true, firstPassedAt: 'A', lastCheckedAt: 'B', criteria: { c1: true, c2: false } } }, quiz: { answered: 3, correct: 2 } };
  const csv = resultsCsv([{ id: 't', title: 'T', criteria: [{ id: 'c1', title: '' }, { id: 'c2', title: '' }] }], [row as never]);
  assert.equal(csv, "learner,session,lab,criterion,passed,first_passed_at,last_checked_at\r\n'=x,s1,t,c1,true,A,B\r\n'=x,s1,t,c2,false,A,B\r\n'=x,s1,quiz,3,2,,\r\n");
});

test('failingSince: the first failing criterion of the latest check, since the start of its streak', () => {
  const h = (lab: string, at: number, ...c: [string, boolean][]) => ({ lab, at, passed: c.every(([, ok]) => ok), criteria: c });
  // Newest first.
  const history = [h('a', 40, ['x', true], ['y', false]), h('b', 35, ['z', false]), h('a', 30, ['x', false], ['y', false]), h('a', 20, ['x', true], ['y', false]), h('a', 10, ['x', true], ['y', true])];
  assert.deepEqual(failingSince(history, 'a'), { criterion: 'y', since: new Date(20).toISOString() });
  assert.deepEqual(failingSince(history, 'b'), { criterion: 'z', since: new Date(35).toISOString() });
  assert.equal(failingSince(history, 'c'), undefined);
  assert.equal(failingSince([h('a', 5, ['x', true])], 'a'), undefined);
});

test('wrong codes: blocked after the limit within a minute, free again after it', () => {
  let now = 1_000_000;
  const l = new WrongCodeLimit(3, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(l.blockedFor('a'), 0);
    l.fail('a');
    now += 1000;
  }
  assert.ok(l.blockedFor('a') > 0);
  assert.equal(l.blockedFor('b'), 0);
  now += 60_000;
  assert.equal(l.blockedFor('a'), 0);
});

test('log lines never carry ?token=', () => {
  assert.equal(redactUrl('/api/workshops/x/events?token=secret&b=1'), '/api/workshops/x/events?token=[redacted]&b=1');
  assert.equal(redactUrl('/api/sessions/x/terminal?cols=80&TOKEN=abc'), '/api/sessions/x/terminal?cols=80&TOKEN=[redacted]');
  assert.equal(redactUrl('/api/labs'), '/api/labs');
});

test('admission: a workshop join counts against seats (409), not the per-client limits', () => {
  const a = new Admission(testSessionSettings({ maxSessions: 100, maxSessionsPerClient: 1, maxSessionCreatesPerMinute: 1 }));
  for (let i = 0; i < 5; i++) a.admit('1.2.3.4', { sandboxes: i, pooledReady: false, ofClient: i }, 30);
  assert.throws(() => a.admit('1.2.3.4', { sandboxes: 5, pooledReady: false, ofClient: 30 }, 30), (e: ApiError) => e.status === 409 && e.code === 'workshop_full');
  assert.throws(() => a.admit('1.2.3.4', { sandboxes: 100, pooledReady: false, ofClient: 0 }, 30), (e: ApiError) => e.status === 503, 'MAX_SESSIONS still applies');
  assert.throws(() => a.admit('1.2.3.4', { sandboxes: 0, pooledReady: false, ofClient: 1 }), (e: ApiError) => e.code === 'too_many_sessions');
});
