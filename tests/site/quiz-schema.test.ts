import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { quizFileSchema } from '../../site/src/lib/quiz-schema.ts';

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

const base = { id: 'q1', kind: 'self-check', prompt: 'Какой?', explanation: 'Потому что.' };

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
    questions: [{ id: 'a', type: 'single', prompt: 'Что?', explanation: 'Так.', options: [{ text: 'x', correct: true }, { text: 'y' }] }],
  });
  assert.equal(r.questions[0]!.kind, 'self-check');
  assert.equal(r.questions[0]!.options![1]!.correct, false);
});
