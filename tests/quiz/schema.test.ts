import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { quizFileSchema } from '../../quiz/schema.ts';
import { giveawayProblems, optionOrder } from '../../quiz/order.ts';

const dir = join(import.meta.dirname, '..', '..', 'site', 'src', 'data', 'quizzes');

function problems(data: unknown): string[] {
  const r = quizFileSchema.safeParse(data);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('every quiz file of the course is valid', () => {
  const files = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n));
  assert.ok(files.length >= 5, `only ${files.length} quiz files in ${dir}: the course has a quiz per chapter`);
  for (const name of files) {
    const data = parse(readFileSync(join(dir, name), 'utf8'));
    assert.deepEqual(problems(data), [], name);
    assert.equal(data.section, name.replace(/\.ya?ml$/, ''), `${name}: "section" should equal the file name`);
  }
});

const base = { id: 'q1', kind: 'self-check', prompt: 'Какой?', explanation: 'Потому что.', see: '#раздел' };

test('broken questions are rejected with the question id and the reason', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...base, type: 'single', options: [{ text: 'a', correct: true }, { text: 'b', correct: true }] }, /q1.*exactly one correct option, found 2/],
    [{ ...base, type: 'multiple', options: [{ text: 'a' }, { text: 'b' }] }, /q1.*no option is marked/],
    [{ ...base, type: 'single', options: [{ text: 'a', correct: true }] }, /at least two options/],
    [{ ...base, type: 'text' }, /q1.*needs "answers"/],
    [{ ...base, type: 'command', answers: [] }, /needs "answers"/],
    [{ ...base, type: 'text', answers: ['x'], options: [{ text: 'a', correct: true }, { text: 'b' }] }, /"options" is only for single\/multiple/],
    [{ ...base, type: 'quiz', answers: ['x'] }, /type/],
    [{ ...base, id: 'Bad Id', type: 'text', answers: ['x'] }, /kebab-case/],
    [{ ...base, type: 'text', answers: ['x'], explanation: undefined }, /explanation/],
    [{ ...base, type: 'text', answers: ['x'], see: undefined }, /see/],
    [{ ...base, type: 'text', answers: ['x'], see: 'раздел' }, /"#heading-id"/],
  ];
  for (const [q, re] of cases) {
    const p = problems({ section: 'docker-hub', questions: [q] });
    assert.ok(p.some((m) => re.test(m)), `${JSON.stringify(q)} → ${p.join(' | ') || 'accepted'}`);
  }
});

test('duplicate ids and empty files are rejected', () => {
  const q = { ...base, type: 'text', answers: ['x'] };
  assert.ok(problems({ section: 's', questions: [q, q] }).some((m) => /duplicate question id "q1"/.test(m)));
  assert.ok(problems({ section: 's', questions: [] }).some((m) => /at least one question/.test(m)));
});

test('defaults: kind self-check, options not correct unless marked', () => {
  const r = quizFileSchema.parse({
    section: 's',
    questions: [{ id: 'a', type: 'single', prompt: 'Что?', explanation: 'Так.', see: '/docker-hub/#теги', options: [{ text: 'x', correct: true }, { text: 'y' }] }],
  });
  assert.equal(r.questions[0]!.kind, 'self-check');
  assert.equal(r.questions[0]!.options![1]!.correct, false);
});

test('options are shown in a fixed shuffled order: same id → same order, a permutation of the file', () => {
  assert.deepEqual(optionOrder('hub-role', 4), optionOrder('hub-role', 4));
  assert.deepEqual([...optionOrder('hub-role', 4)].sort(), [0, 1, 2, 3]);
  const ids = Array.from({ length: 40 }, (_, i) => `q${i}`);
  const firstShown = new Set(ids.map((id) => optionOrder(id, 4)[0]));
  assert.equal(firstShown.size, 4, 'across questions every position is used');
  assert.ok(ids.some((id) => optionOrder(id, 4).join() !== '0,1,2,3'));
});

test('the giveaway rule: the right option may be the longest, or in one position, in at most half of a section', () => {
  const single = (id: string, right: string, wrong: string[]) => ({ id, type: 'single', options: [{ text: right, correct: true }, ...wrong.map((text) => ({ text, correct: false }))] });
  const longest = ['a', 'b', 'c', 'd'].map((id) => single(id, 'правильный и самый длинный ответ', ['нет', 'не так', 'мимо']));
  assert.match(giveawayProblems('s', longest).join('\n'), /longest in 4 of 4 single-choice questions/);
  const balanced = longest.map((q, i) => (i % 2 ? single(q.id, 'да', ['неверный, но длинный вариант ответа', 'нет', 'мимо']) : q));
  assert.doesNotMatch(giveawayProblems('s', balanced).join('\n'), /longest/);
  const multi = (id: string) => ({ id, type: 'multiple', options: [{ text: 'длинный верный вариант', correct: true }, { text: 'ещё один верный', correct: true }, { text: 'нет', correct: false }] });
  assert.match(giveawayProblems('s', [multi('m1'), multi('m2')]).join('\n'), /every right option is longer/);
  assert.deepEqual(giveawayProblems('s', longest.slice(0, 3)), [], 'fewer than 4 single-choice questions: no rule');
});
