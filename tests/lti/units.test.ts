/** The pure parts of runner/src/lti: score bodies, the scores URL, sealing, roles, locales, refusal pages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { scoresUrl } from '../../runner/src/lti/ags-outbox.ts';
import { isStaff, langOfLocale } from '../../runner/src/lti/claims.ts';
import { launchPage, Refusal, refusalPage } from '../../runner/src/lti/pages.ts';
import { quizScore } from '../../runner/src/lti/quiz-sections.ts';
import { recordCheck, scoreOf } from '../../runner/src/lti/scores.ts';
import { seal, unseal } from '../../runner/src/lti/seal.ts';
import type { LtiUser } from '../../runner/src/store/lti.ts';

const user = (progress: LtiUser['progress'] = { labs: {}, quiz: {} }): LtiUser => ({ id: 'u', issuer: 'i', sub: 'sub-1', name: null, email: null, sessionId: null, sessionSeal: null, progress });
const answer = (passed: boolean[], optional: boolean[] = []) => ({
  lab: 'tagging',
  passed: passed.every(Boolean),
  criteria: [
    ...passed.map((p, i) => ({ id: `c${i}`, title: `Criterion ${i}`, passed: p, message: '', required: true })),
    ...optional.map((p, i) => ({ id: `o${i}`, title: `Optional ${i}`, passed: p, message: '', required: false })),
  ],
});

test('score of a check: required criteria only, failing titles as the comment, full marks once passed', () => {
  const s = scoreOf(user(), answer([true, false, false], [false]), 0, 'en');
  assert.deepEqual([s.scoreGiven, s.scoreMaximum, s.gradingProgress, s.activityProgress, s.comment], [1, 3, 'Pending', 'InProgress', 'Not done yet: Criterion 1; Criterion 2']);
  const passed = scoreOf(user(), answer([true, true], [false]), 0, 'ru');
  assert.deepEqual([passed.scoreGiven, passed.scoreMaximum, passed.gradingProgress, passed.activityProgress, passed.comment], [2, 2, 'FullyGraded', 'Completed', undefined]);
  // Once passed, a later failing check still scores full marks.
  const p = recordCheck({ labs: {}, quiz: {} }, answer([true, true]), 1000);
  assert.equal(p.labs.tagging!.firstPassedAt, 1000);
  const later = scoreOf(user(p), answer([false, false]), 2000, 'ru');
  assert.equal(later.scoreGiven, 2);
  assert.equal(recordCheck(p, answer([false, true]), 3000).labs.tagging!.firstPassedAt, 1000);
});

test('quiz score: right answers of the section, FullyGraded once every question is answered', () => {
  const section = { id: 'docker-hub', title: { ru: 'Docker Hub', en: 'Docker Hub' }, questions: ['docker-hub/a', 'docker-hub/b'] };
  const some = quizScore('s', section, { 'docker-hub/a': { correct: true, at: 5 }, 'other/x': { correct: true, at: 6 } });
  assert.deepEqual([some.scoreGiven, some.scoreMaximum, some.gradingProgress], [1, 2, 'Pending']);
  const all = quizScore('s', section, { 'docker-hub/a': { correct: true, at: 5 }, 'docker-hub/b': { correct: false, at: 7 } });
  assert.deepEqual([all.scoreGiven, all.gradingProgress, all.timestamp], [1, 'FullyGraded', new Date(7).toISOString()]);
});

test('the scores URL keeps the line item query string', () => {
  assert.equal(scoresUrl('https://lms.example/api/lti/courses/1/line_items/7?type_id=2'), 'https://lms.example/api/lti/courses/1/line_items/7/scores?type_id=2');
  assert.equal(scoresUrl('https://lms.example/li/7/'), 'https://lms.example/li/7/scores');
});

test('seal: round trip, another key or a damaged seal gives null', () => {
  const key = randomBytes(32);
  const s = seal(key, 'secret token');
  assert.equal(unseal(key, s), 'secret token');
  assert.equal(unseal(randomBytes(32), s), null);
  const [iv, tag, body] = s.split('.');
  const flipped = Buffer.from(body!, 'base64url');
  flipped[0] ^= 1;
  assert.equal(unseal(key, [iv, tag, flipped.toString('base64url')].join('.')), null);
  assert.equal(unseal(key, 'nonsense'), null);
});

test('roles and locales', () => {
  assert.ok(isStaff(['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor']));
  assert.ok(isStaff(['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant']));
  assert.ok(!isStaff(['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner']));
  assert.equal(langOfLocale('en-US'), 'en');
  assert.equal(langOfLocale('ru_RU'), 'ru');
  assert.equal(langOfLocale('de'), null);
});

test('pages escape what comes from outside', () => {
  const html = refusalPage('en', new Refusal('missing_claim', '<script>alert(1)</script>'));
  assert.ok(!html.includes('<script>alert'));
  assert.match(html, /&#60;script&#62;/);
  const launch = launchPage('ru', { key: 'k', value: { title: '</script><script>alert(1)</script>' } }, '/labs/x/', 'open');
  assert.ok(!launch.includes('</script><script>alert'));
});
