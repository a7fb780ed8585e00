import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, cellOf, compareRows, downloadName, matchesFilter, progressScore, stuckOn, timeLeft, type LearnerRow } from '../../site/src/lib/workshop-grid.ts';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const min = (n: number) => new Date(NOW - n * 60_000).toISOString();
const row = (over: Partial<LearnerRow>): LearnerRow => ({ session: 's', name: 'x', state: 'ready', labs: {}, quiz: { answered: 0, correct: 0 }, ...over });

test('a cell is not started, in progress with k/n, or passed', () => {
  assert.deepEqual(cellOf(undefined, 3), { kind: 'none', done: 0, total: 3 });
  assert.deepEqual(cellOf({ passed: false, lastCheckedAt: min(1), criteria: { a: true, b: false, c: false } }, 3), { kind: 'progress', done: 1, total: 3 });
  assert.deepEqual(cellOf({ passed: true, lastCheckedAt: min(1), criteria: { a: true, b: false } }, 2), { kind: 'passed', done: 2, total: 2 }, 'passed stays passed when a later check fails');
  assert.equal(cellOf({ passed: false, criteria: {} }, 2).kind, 'none');
});

test('stuck: the same criterion failing longer than the threshold, the oldest one first', () => {
  const r = row({
    labs: {
      tagging: { passed: false, failingSince: { criterion: 'tag', since: min(12) } },
      'push-private': { passed: false, failingSince: { criterion: 'pushed', since: min(25) } },
      signing: { passed: false, failingSince: { criterion: 'signed', since: min(3) } },
    },
  });
  assert.deepEqual(stuckOn(r, 10, NOW), { lab: 'push-private', criterion: 'pushed', since: min(25) });
  assert.equal(stuckOn(r, 30, NOW), null, 'nobody past 30 min');
  assert.equal(stuckOn(row({ labs: { tagging: { passed: true, failingSince: { criterion: 'x', since: min(99) } } } }), 10, NOW), null, 'a passed lab is never stuck');
  assert.equal(stuckOn(row({ labs: { tagging: { passed: false, failingSince: { criterion: 'x', since: 'garbage' } } } }), 10, NOW), null);
  assert.equal(stuckOn(r, 0, NOW), null, 'no threshold, no stuck');
  assert.equal(stuckOn(row({ labs: { tagging: { passed: false, failingSince: { criterion: 'x', since: min(10) } } } }), 10, NOW)?.lab, 'tagging', 'exactly the threshold counts');
});

test('sorting by name (locale-aware, stable), progress and last activity', () => {
  const rows = [
    row({ session: '1', name: 'борис', lastActivityAt: min(5), labs: { a: { passed: true } } }),
    row({ session: '2', name: 'Анна', lastActivityAt: min(1), labs: { a: { passed: false, criteria: { x: true, y: true } } } }),
    row({ session: '3', name: 'Vera', lastActivityAt: null, labs: { a: { passed: true }, b: { passed: true } } }),
    row({ session: '4', name: 'анна', lastActivityAt: min(30) }),
  ];
  const names = (key: 'name' | 'progress' | 'activity') => [...rows].sort(compareRows(key)).map((r) => r.session);
  assert.deepEqual(names('name'), ['2', '4', '1', '3'], 'Russian collation (Cyrillic, then Latin), case-insensitive, ties by session id');
  assert.deepEqual(names('progress'), ['3', '1', '2', '4']);
  assert.deepEqual(names('activity'), ['2', '1', '4', '3'], 'never active goes last');
  assert.equal(progressScore(rows[1]!), 2);
});

test('filter by name ignores case and surrounding spaces', () => {
  assert.ok(matchesFilter(row({ name: 'Анна Петрова' }), '  петр '));
  assert.ok(matchesFilter(row({ name: 'x' }), ''));
  assert.ok(!matchesFilter(row({ name: 'Борис' }), 'анна'));
});

test('relative times and time left', () => {
  const ui = { 'ago.now': 'только что', 'ago.min': '{n} мин назад', 'ago.h': '{n} ч назад', 'ago.never': '—' };
  assert.equal(ago(min(0.5), NOW, ui), 'только что');
  assert.equal(ago(min(3), NOW, ui), '3 мин назад');
  assert.equal(ago(min(125), NOW, ui), '2 ч назад');
  assert.equal(ago(null, NOW, ui), '—');
  assert.deepEqual(timeLeft(new Date(NOW + 61_000).toISOString(), NOW), { minutes: 2 });
  assert.deepEqual(timeLeft(min(1), NOW), { minutes: 0 });
  assert.equal(timeLeft(null, NOW), null);
});

test('download names are safe file names with the date', () => {
  const at = new Date('2026-03-02T10:00:00Z');
  assert.equal(downloadName('Группа 7, понедельник', 'csv', at), 'results-Группа-7,-понедельник-2026-03-02.csv');
  assert.equal(downloadName('a/b\\c:d*?"<>|e', 'json', at), 'results-a-b-c-d-e-2026-03-02.json');
  assert.equal(downloadName('  ..  ', 'csv', at), 'results-workshop-2026-03-02.csv');
  assert.equal(downloadName('x'.repeat(200), 'csv', at).length, 'results-'.length + 60 + '-2026-03-02.csv'.length);
});

test('short titles: whole words, long words cut with a period, an ellipsis, no dangling preposition', async () => {
  const { shortTitle } = await import('../../site/src/lib/workshop-grid.ts');
  assert.equal(shortTitle('Теги'), 'Теги');
  assert.equal(shortTitle('Первый push в приватный реестр'), 'Первый push…');
  assert.equal(shortTitle('Теги релиза: semver и коммит'), 'Теги релиза…');
  assert.equal(shortTitle('Автоматическая сборка по git push'), 'Автомат. сборка по…'.replace(' по…', '…'));
  assert.equal(shortTitle('Образ файлом: docker save'), 'Образ файлом…');
  assert.equal(shortTitle('Подпись образа cosign'), 'Подпись образа…');
  assert.equal(shortTitle('Многоэтапная'), 'Многоэт.');
  for (const t of ['A lab with a very long title indeed', 'Какой слой раздул образ: docker history']) assert.ok(shortTitle(t).length <= 19, t);
});

test('room summary: passed, working (stuck among them), not started per lab; the quiz by answers', async () => {
  const { roomSummary, workingOn } = await import('../../site/src/lib/workshop-grid.ts');
  const labs = [
    { id: 'a', title: 'A', criteria: [{ id: 'x', title: 'x' }, { id: 'y', title: 'y' }] },
    { id: 'b', title: 'B', criteria: [{ id: 'x', title: 'x' }] },
  ];
  const rows = [
    row({ session: '1', labs: { a: { passed: true, criteria: { x: true, y: true } } }, quiz: { answered: 5, correct: 4 } }),
    row({ session: '2', labs: { a: { passed: false, lastCheckedAt: min(20), criteria: { x: true, y: false }, failingSince: { criterion: 'y', since: min(20) } } }, quiz: { answered: 2, correct: 2 } }),
    row({ session: '3', labs: { a: { passed: false, lastCheckedAt: min(1), criteria: { x: false, y: false } }, b: { passed: true, criteria: { x: true } } } }),
    row({ session: '4' }),
  ];
  const s = roomSummary(rows, labs, 10, NOW, 5);
  assert.deepEqual(s.labs.get('a'), { passed: 1, working: 2, stuck: 1, none: 1 });
  assert.deepEqual(s.labs.get('b'), { passed: 1, working: 0, stuck: 0, none: 3 });
  assert.deepEqual(s.quiz, { passed: 1, working: 1, stuck: 0, none: 2 });
  assert.equal(roomSummary(rows, labs, 10, NOW, 0).quiz.passed, 0, 'unknown quiz size: nobody has finished it');
  assert.deepEqual(rows.filter((r) => workingOn(r, labs[0]!)).map((r) => r.session), ['2', '3']);
});
