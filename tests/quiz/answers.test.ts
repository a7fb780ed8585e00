/**
 * Every question of the course, fed its own right answers in the forms a learner would type,
 * must be graded right by the same matchers the site and the runner use; a few known wrong
 * forms must be graded wrong. Catches answers a matcher cannot accept (is-short-copy-from once
 * refused the full `COPY --from=build /out/app /app`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { questionSchema, type Question } from '../../quiz/schema.ts';
import { readQuizzes } from '../../quiz/load.ts';
import { commandMatches, textMatches } from '../../quiz/match/command-match.ts';

const dir = join(import.meta.dirname, '..', '..', 'site', 'src', 'data', 'quizzes');
// As the site grades them: the accepted answers of every language (quiz/load.ts), so answers
// added in an English overlay (src/data/quizzes/en/) are fed to the matchers too.
const questions: Question[] = readQuizzes(dir).quizzes.ru.flatMap((f) => f.data.questions.map((q) => questionSchema.parse(q)));
const byId = new Map(questions.map((q) => [q.id, q]));

const grade = (q: Question, answer: string) => (q.type === 'command' ? commandMatches(answer, q.answers!) : textMatches(answer, q.answers!));
/** An open-ended answer (`COPY --from=build …`) as a learner would complete it. */
const typed = (a: string) => a.replace(/\s+(?:…|\.\.\.)$/, '');

/** What learners type besides the listed answers; every form must be accepted. */
const LEARNER_FORMS: Record<string, string[]> = {
  'is-short-copy-from': ['COPY --from=build /out/app /app', 'COPY --from=build /src/app /usr/local/bin/app', 'copy --from build /out/app /app', 'COPY --from=build'],
  'hub-default-name': ['Docker.io/library/nginx:latest', '`docker.io/library/nginx:latest`'],
  'hub-push-name': ['alice/my-api:1.0', 'docker.io/alice/my-api:1.0'],
  'hub-pull-nginx-alpine': ['docker image pull nginx:alpine', 'sudo docker pull nginx:alpine', 'docker pull library/nginx:alpine'],
  'pr-run-registry': ['docker run --name registry -d -p 5000:5000 registry:2', 'docker run -dp 5000:5000 --name=registry registry:2', 'docker container run -d --publish=5000:5000 --name registry registry:2'],
  'pr-login': ['docker login --username=alice registry.example.com', 'docker login registry.example.com --username alice'],
  'pr-htpasswd': ['htpasswd -Bbn alice s3cret', 'htpasswd -bnB alice s3cret', 'htpasswd -B -b -n alice s3cret', 'htpasswd -nBb alice s3cret'],
  'pr-short-push-cmd': ['docker image push localhost:5000/my-api:v1'],
  'pv-history-cmd': ['docker image history --no-trunc nginx:alpine', 'sudo docker history --no-trunc docker.io/library/nginx:alpine'],
  'pv-cosign-verify': ['cosign verify --key=cosign.pub registry.example.com/team/my-api:1.0', 'cosign verify registry.example.com/team/my-api:1.0 --key cosign.pub'],
  'pv-short-history': ['docker history my-app', 'docker image history --no-trunc my-app:latest'],
  'ri-catalog': ['curl -s http://localhost:5000/v2/_catalog | jq', 'curl -sS localhost:5000/v2/_catalog', 'curl -fsS http://localhost:5000/v2/_catalog | jq .'],
  'ab-rule-regex': ['1.4.0', ' 1.4.0 '],
};

/** Near misses that must stay wrong (a matcher that accepts everything would pass the test above). */
const WRONG_FORMS: Record<string, string[]> = {
  'is-short-copy-from': ['COPY --from=builder /out/app /app', 'COPY /out/app /app', 'ADD --from=build /out/app /app'],
  'hub-push-name': ['my-api:1.0', 'alice/my-api'],
  'pr-htpasswd': ['htpasswd -bn alice s3cret', 'htpasswd -Bbn s3cret alice'],
  'ri-catalog': ['curl http://localhost:5000/v2/', 'curl -I http://localhost:5000/v2/_catalog'],
  'ab-rule-regex': ['v1.4.0'],
  'pr-short-push-cmd': ['docker push my-api:v1'],
};

test('every text and command question accepts each of its own answers, as typed by a learner', () => {
  const open = questions.filter((q) => q.type === 'text' || q.type === 'command');
  assert.ok(open.length > 10);
  const problems: string[] = [];
  for (const q of open) {
    for (const a of q.answers!.map(typed)) {
      const forms = [a, `  ${a}  `, a.replace(/ /g, '  ')];
      if (q.type === 'text') forms.push(a.toUpperCase(), `${a}.`, `\`${a}\``);
      else forms.push(`$ ${a}`);
      if (q.type === 'command' && a.startsWith('docker ')) forms.push(`sudo ${a}`);
      for (const f of forms) if (!grade(q, f)) problems.push(`${q.id}: its own answer typed as ${JSON.stringify(f)} is graded wrong`);
    }
  }
  assert.deepEqual(problems, []);
});

test('known learner forms are accepted and near misses are not', () => {
  const problems: string[] = [];
  for (const [id, forms] of Object.entries(LEARNER_FORMS)) {
    const q = byId.get(id);
    if (!q) problems.push(`no question ${id}`);
    else for (const f of forms) if (!grade(q, f)) problems.push(`${id}: ${JSON.stringify(f)} should be right`);
  }
  for (const [id, forms] of Object.entries(WRONG_FORMS)) {
    const q = byId.get(id)!;
    for (const f of forms) if (grade(q, f)) problems.push(`${id}: ${JSON.stringify(f)} should be wrong`);
  }
  assert.deepEqual(problems, []);
});

test('choice questions: the right options together are right, any other choice is wrong', () => {
  const isRight = (q: Question, chosen: number[]) => {
    const right = q.options!.flatMap((o, i) => (o.correct ? [i] : []));
    return chosen.length === right.length && [...chosen].sort().every((c, i) => c === right[i]);
  };
  for (const q of questions.filter((x) => x.type === 'single' || x.type === 'multiple')) {
    const right = q.options!.flatMap((o, i) => (o.correct ? [i] : []));
    assert.ok(isRight(q, [...right].reverse()), q.id);
    q.options!.forEach((o, i) => {
      if (!o.correct) assert.ok(!isRight(q, [...right, i]) && !isRight(q, [i]), `${q.id}: option ${i} is wrong`);
    });
  }
});

test('ab-ci-tags offers latest, which metadata-action adds for a SemVer release tag', () => {
  const q = byId.get('ab-ci-tags')!;
  assert.ok(q.options!.some((o) => o.text === 'latest' && o.correct));
});
