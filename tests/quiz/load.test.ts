/**
 * The quizzes in English (issue 20): src/data/quizzes/en/<section>.yaml is a text overlay of the
 * Russian quiz file, keyed by question id (quiz/load.ts). Checked here without a build:
 * every Russian question has its English text with the same option count, no extra ids, the merged
 * English quiz passes the quiz schema, its text is English (no Cyrillic outside backticks), open
 * answers are accepted in both languages; and the merge reports what is wrong with an overlay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { mergeQuiz, readQuizzes } from '../../quiz/load.ts';
import { quizFileSchema } from '../../quiz/schema.ts';
import { gradeAnswer, gradingKey } from '../../quiz/grade.ts';

const dir = join(import.meta.dirname, '..', '..', 'site', 'src', 'data', 'quizzes');
const sections = readdirSync(dir)
  .filter((n) => /\.ya?ml$/.test(n))
  .map((n) => n.replace(/\.ya?ml$/, ''));

type RuQuestion = { id: string; type: string; options?: unknown[] };
type EnQuestion = { prompt?: string; explanation?: string; options?: string[]; answers?: string[] };

test('every section has an English overlay, and every Russian question id has an entry there with the same option count', () => {
  const problems: string[] = [];
  for (const section of sections) {
    const file = join(dir, 'en', `${section}.yaml`);
    if (!existsSync(file)) {
      problems.push(`en/${section}.yaml: missing`);
      continue;
    }
    const ru = parse(readFileSync(join(dir, `${section}.yaml`), 'utf8')) as { questions: RuQuestion[] };
    const en = parse(readFileSync(file, 'utf8')) as { section: string; questions: Record<string, EnQuestion> };
    assert.equal(en.section, section, `en/${section}.yaml: section`);
    for (const q of ru.questions) {
      const t = en.questions[q.id];
      if (!t) problems.push(`en/${section}.yaml: no "${q.id}"`);
      else if ((q.options?.length ?? 0) !== (t.options?.length ?? 0)) problems.push(`en/${section}.yaml: "${q.id}" has ${t.options?.length ?? 0} options, Russian ${q.options?.length ?? 0}`);
    }
    const ids = new Set(ru.questions.map((q) => q.id));
    for (const id of Object.keys(en.questions)) if (!ids.has(id)) problems.push(`en/${section}.yaml: extra id "${id}"`);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(readQuizzes(dir).problems, [], 'the loader agrees');
});

test('the merged English quizzes pass the quiz schema (and its giveaway rule) and keep the Russian structure', () => {
  const { quizzes } = readQuizzes(dir);
  assert.equal(quizzes.en.length, sections.length);
  for (const { section, data } of quizzes.en) {
    const r = quizFileSchema.safeParse(data);
    assert.ok(r.success, `${section}: ${r.success ? '' : r.error.issues.map((i) => i.message).join('; ')}`);
    const ru = quizFileSchema.parse(quizzes.ru.find((q) => q.section === section)!.data);
    assert.deepEqual(
      r.data.questions.map((q) => [q.id, q.type, q.kind, q.see, (q.options ?? []).map((o) => o.correct)]),
      ru.questions.map((q) => [q.id, q.type, q.kind, q.see, (q.options ?? []).map((o) => o.correct)]),
      `${section}: ids, types, kinds, links and right options come from the Russian file`,
    );
  }
});

/** Text as a reader sees it, without code: fenced blocks and `inline code` may quote anything. */
const prose = (s: string) => s.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
const CYRILLIC = /\p{Script=Cyrillic}/u;

test('no Cyrillic in the English quiz text outside backticks', () => {
  const problems: string[] = [];
  for (const section of sections) {
    const en = parse(readFileSync(join(dir, 'en', `${section}.yaml`), 'utf8')) as { questions: Record<string, EnQuestion> };
    for (const [id, q] of Object.entries(en.questions)) {
      for (const [field, text] of [['prompt', q.prompt], ['explanation', q.explanation], ...(q.options ?? []).map((o, i) => [`option ${i + 1}`, o]), ...(q.answers ?? []).map((a, i) => [`answer ${i + 1}`, a])] as Array<[string, string | undefined]>) {
        if (text && CYRILLIC.test(prose(text))) problems.push(`en/${section}.yaml ${id} ${field}: ${prose(text).trim().slice(0, 80)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('open answers are graded the same in both languages: the accepted answers are the union of both', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rl-quiz-i18n-'));
  try {
    writeFileSync(
      join(tmp, 's.yaml'),
      stringify({ section: 's', questions: [{ id: 'q', type: 'text', prompt: 'Что?', explanation: 'Так.', see: '#x', answers: ['слой'] }] }),
    );
    mkdirSync(join(tmp, 'en'));
    writeFileSync(join(tmp, 'en', 's.yaml'), stringify({ section: 's', questions: { q: { prompt: 'What?', explanation: 'That.', answers: ['layer'] } } }));
    const { quizzes, problems } = readQuizzes(tmp);
    assert.deepEqual(problems, []);
    for (const lang of ['ru', 'en'] as const) {
      const quiz = quizFileSchema.parse(quizzes[lang][0]!.data);
      const key = gradingKey(quiz.questions[0]!);
      assert.deepEqual(key.answers, ['слой', 'layer'], lang);
      assert.ok(gradeAnswer(key, 'layer') && gradeAnswer(key, 'Слой') && !gradeAnswer(key, 'blob'), lang);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a missing or extra id, another option count, options on an open question, answers on a choice question: errors naming the id', () => {
  const ru = {
    section: 's',
    questions: [
      { id: 'a', type: 'single', prompt: 'Что?', explanation: 'Так.', see: '#x', options: [{ text: 'да', correct: true }, { text: 'нет' }, { text: 'может быть' }] },
      { id: 'b', type: 'command', prompt: 'Что?', explanation: 'Так.', see: '#x', answers: ['docker ps'] },
    ],
  };
  const t = { prompt: 'What?', explanation: 'That.' };
  const cases: Array<[unknown, RegExp]> = [
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'] } } }, /"b" has no text here \(missing id\)/],
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'] }, b: t, c: t } }, /"c" is not in the Russian file \(extra id\)/],
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no'] }, b: t } }, /"a" has 2 options, the Russian file 3/],
    [{ section: 's', questions: { a: t, b: t } }, /"a" needs "options"/],
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'], answers: ['yes'] }, b: t } }, /"a" is single: "answers"/],
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'] }, b: { ...t, options: ['x', 'y'] } } }, /"b" is command: "options"/],
    [{ section: 'other', questions: { a: { ...t, options: ['yes', 'no', 'maybe'] }, b: t } }, /section is "other"/],
    [{ section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'], correct: 0 }, b: t } }, /en\/s\.yaml: questions\.a: .*correct/i],
  ];
  for (const [overlay, re] of cases) {
    const { problems } = mergeQuiz(ru, overlay, 'en/s.yaml');
    assert.ok(problems.some((m) => re.test(m)), `${JSON.stringify(overlay)} → ${problems.join(' | ') || 'accepted'}`);
  }
  const ok = mergeQuiz(ru, { section: 's', questions: { a: { ...t, options: ['yes', 'no', 'maybe'] }, b: t } }, 'en/s.yaml');
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.quiz.questions[0]!.options, [{ text: 'yes', correct: true }, { text: 'no' }, { text: 'maybe' }]);
});

test('an overlay folder must cover every section, and an overlay needs its Russian file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rl-quiz-i18n-'));
  try {
    const q = { id: 'q', type: 'text', prompt: 'Что?', explanation: 'Так.', see: '#x', answers: ['x'] };
    writeFileSync(join(tmp, 'one.yaml'), stringify({ section: 'one', questions: [q] }));
    mkdirSync(join(tmp, 'en'));
    writeFileSync(join(tmp, 'en', 'two.yaml'), stringify({ section: 'two', questions: { q: { prompt: 'What?', explanation: 'That.' } } }));
    const { problems } = readQuizzes(tmp);
    assert.ok(problems.some((m) => /en\/one\.yaml: missing/.test(m)), problems.join('\n'));
    assert.ok(problems.some((m) => /two\.yaml: no Russian quiz/.test(m)), problems.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
