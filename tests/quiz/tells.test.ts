/**
 * The chapter's quizzes do not give the right option away (rules: quiz/tells.ts, which
 * the build enforces too). Prints the numbers per section and language.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readQuizDir, sectionStats, tellProblems, tellTable, type TellQuestion } from '../../quiz/tells.ts';
import { optionOrder } from '../../quiz/order.ts';

const dir = join(import.meta.dirname, '..', '..', 'site', 'src', 'data', 'quizzes');

test('no tells in the chapter\'s quizzes, per section and over the chapter, in every language', () => {
  const quizzes = readQuizDir(dir);
  assert.ok(quizzes.filter((q) => q.lang === 'ru').length >= 5, 'the Russian quizzes are read');
  console.log(tellTable(quizzes));
  assert.deepEqual(tellProblems(quizzes), []);
});

/** A single-choice question whose right option is shown at `pos`, with the given lengths (right first). */
function single(id: string, rightLen: number, wrongLens: number[], pos?: number): TellQuestion {
  const texts = [rightLen, ...wrongLens].map((n, i) => 'абвгд'[i]!.repeat(n));
  const options = texts.map((text, i) => ({ text, correct: i === 0 }));
  if (pos === undefined) return { id, type: 'single', options };
  // Put the right option where the shuffle shows position `pos`.
  const order = optionOrder(id, options.length);
  const file = new Array(options.length);
  const rest = options.slice(1);
  order.forEach((fileIdx, shownPos) => (file[fileIdx] = shownPos === pos ? options[0] : rest.shift()));
  return { id, type: 'single', options: file };
}

test('strictly longest / shortest: more than half of a section, more than 35 % of the chapter', () => {
  const longest = [single('a', 50, [10, 20, 30], 0), single('b', 50, [10, 20, 30], 1), single('c', 5, [10, 20, 30], 2), single('d', 20, [10, 20, 30], 3)];
  const s = sectionStats({ section: 's', lang: 'ru', questions: longest });
  assert.deepEqual(s.longest, ['a', 'b']);
  assert.deepEqual(s.shortest, ['c']);
  assert.equal(s.single.length, 4);
  // 2 of 4 in the section is allowed, but 2 of 4 is 50 % of the chapter: over 35 %.
  const p = tellProblems([{ section: 's', lang: 'ru', questions: longest }]);
  assert.ok(!p.some((m) => m.startsWith('quiz s')), p.join('\n'));
  assert.ok(p.some((m) => /chapter \(ru\): .*strictly longest in 2 of 4 .*a, b/.test(m)), p.join('\n'));
  const three = [...longest.slice(0, 2), single('e', 60, [1, 2, 3], 2), single('f', 1, [5, 6, 7], 3)];
  assert.ok(tellProblems([{ section: 's', lang: 'ru', questions: three }]).some((m) => /quiz s \(ru\): .*longest in 3 of 4 .*a, b, e/.test(m)));
  const shortest = ['g', 'h', 'i'].map((id) => single(id, 3, [10, 20, 30]));
  assert.ok(tellProblems([{ section: 't', lang: 'en', questions: shortest }]).some((m) => /quiz t \(en\): .*shortest in 3 of 3/.test(m)));
});

test('a shown position may hold the right option in at most 40 % of a section (once is always allowed)', () => {
  const mk = (positions: number[]) => positions.map((p, i) => single(`q${i}`, 10, [9, 11, 12], p));
  const stats = sectionStats({ section: 's', lang: 'ru', questions: mk([0, 0, 1, 2, 3]) });
  assert.deepEqual(stats.byPosition.map((ids) => ids.length), [2, 1, 1, 1]);
  assert.deepEqual(tellProblems([{ section: 's', lang: 'ru', questions: mk([0, 0, 1, 2, 3]) }]), []);
  assert.ok(tellProblems([{ section: 's', lang: 'ru', questions: mk([0, 0, 0, 2, 3]) }]).some((m) => /position 1 in 3 of 5 .*q0, q1, q2/.test(m)));
  assert.ok(tellProblems([{ section: 's', lang: 'ru', questions: mk([2, 2, 1]) }]).some((m) => /position 3 in 2 of 3/.test(m)));
  assert.deepEqual(tellProblems([{ section: 's', lang: 'ru', questions: mk([1, 3]) }]), []);
});

test('every multiple-choice question has at least two wrong options', () => {
  const m = (id: string, wrong: number): TellQuestion => ({
    id,
    type: 'multiple',
    options: [{ text: 'да', correct: true }, { text: 'тоже да', correct: true }, ...Array.from({ length: wrong }, (_, i) => ({ text: `нет ${i}`, correct: false }))],
  });
  const p = tellProblems([{ section: 's', lang: 'ru', questions: [m('m1', 1), m('m2', 2), m('m3', 0)] }]);
  assert.ok(p.some((x) => /fewer than 2 wrong options: m1, m3$/.test(x)), p.join('\n'));
});

test('English text is the overlay en/<section>.yaml laid over the Russian structure, and checked on its own', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rl-tells-'));
  try {
    const q = (id: string) => ({
      id,
      type: 'single',
      prompt: 'Какой?',
      explanation: 'Такой.',
      see: '#раздел',
      options: [{ text: 'правильный ответ средней длины', correct: true }, { text: 'короткий' }, { text: 'неправильный и очень длинный вариант' }],
    });
    writeFileSync(join(tmp, 'one.yaml'), stringify({ section: 'one', questions: [q('a'), q('b')] }));
    mkdirSync(join(tmp, 'en'));
    // Texts only: which option is right comes from the Russian file.
    const en = (options: string[]) => ({ prompt: 'Which?', explanation: 'This one.', options });
    writeFileSync(join(tmp, 'en', 'one.yaml'), stringify({ section: 'one', questions: { a: en(['the right and by far the longest answer', 'no', 'not it']), b: en(['x', 'longer one', 'longer still']) } }));
    const quizzes = readQuizDir(tmp);
    assert.deepEqual(quizzes.map((x) => `${x.lang}:${x.section}:${x.questions.map((y) => y.id).join(',')}`), ['ru:one:a,b', 'en:one:a,b']);
    assert.deepEqual(quizzes[1]!.questions[0]!.options!.map((o) => o.correct), [true, false, false]);
    const p = tellProblems(quizzes);
    assert.ok(p.some((m) => /chapter \(en\): .*longest in 1 of 2 .*a$/.test(m)), p.join('\n'));
    assert.ok(p.some((m) => /chapter \(en\): .*shortest in 1 of 2 .*b$/.test(m)), p.join('\n'));
    assert.ok(!p.some((m) => /\(ru\)/.test(m)), p.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the English numbers cover every section and every choice question of the Russian quizzes', () => {
  const quizzes = readQuizDir(dir);
  const count = (lang: string) =>
    Object.fromEntries(quizzes.filter((q) => q.lang === lang).map((q) => [q.section, q.questions.filter((x) => x.options).map((x) => x.id).join(',')]));
  assert.deepEqual(count('en'), count('ru'), 'every Russian choice question is in the English numbers');
});
