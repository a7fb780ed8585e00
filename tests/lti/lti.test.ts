/**
 * LTI 1.3 against an independent fake LMS (platform.ts): registration (CLI), keys and JWKS,
 * a student launch to a lab, the score a check posts (exact JSON, media type, bearer token),
 * a returning student, the instructor's course dashboard with the roster, deep linking of two
 * labs, every refusal, the LMS down then back (scores once, in order), and a restart with
 * scores pending. Sandboxes here are the in-memory provider of the unit tests and checks come
 * from a lab engine whose verdict the test sets (the real engine and Docker run in
 * lti-docker.test.ts); everything else (HTTP, SQLite, jose, the outbox) is real.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify } from 'jose';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import type { Config } from '../../runner/src/config.ts';
import type { LabEngine } from '../../runner/src/labs/service.ts';
import { keyFilePath } from '../../runner/src/lti/keys.ts';
import { operatorTokenPath } from '../../runner/src/workshops/secrets.ts';
import { api, sleep, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { CLAIM, FakePlatform, INSTRUCTOR, launch, LEARNER, postForm } from './platform.ts';

const root = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'rl-lti-'));
const runnerId = uniqueRunnerId('lti');
const settings: Partial<Config> = { port: 0, runnerId, logLevel: 'silent', siteDir: '/nonexistent-site', warmPoolSize: 0, dataDir, instructorToken: '' };

/** Which criteria pass at the next check, per lab (the test plays the learner's work). */
const passing = new Map<string, string[]>();
const defs = new Map<string, any>();
for (const id of ['tagging', 'signing']) defs.set(id, JSON.parse(readFileSync(join(root, 'labs', id, 'lab.json'), 'utf8')));
const engine: LabEngine = {
  async loadLabs() {
    return [...defs.values()].map((d) => ({ definition: { ...d, hints: [], checkTimeoutMs: 1000 } }));
  },
  async startLab(_lab, ctx) {
    ctx.state.set('started', true);
  },
  async checkLab(lab, _ctx) {
    const ok = new Set(passing.get(lab.definition.id) ?? []);
    const criteria = lab.definition.criteria.map((c: any) => ({ id: c.id, title: c.title, passed: ok.has(c.id), message: ok.has(c.id) ? 'ok' : 'not yet', required: c.required !== false }));
    return { passed: criteria.every((c: any) => c.passed || !c.required), criteria, durationMs: 1 };
  },
  createLabState: () => new Map() as any,
};

let runner: Runner;
let platform: FakePlatform;
let operator: string;
const start = () => createRunner(settings, { provider: createFakeProvider(), labEngine: async () => engine });
const requiredOf = (lab: string) => defs.get(lab).criteria.filter((c: any) => c.required !== false);

/** Session ref the launch page hands to the site. */
function sessionFromPage(html: string): { id: string; token: string; workshop: { id: string } } {
  const m = /var s=(\{.*?\}),t=/.exec(html);
  assert.ok(m, html);
  return JSON.parse(m[1]!).value;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function check(s: { id: string; token: string }, lab: string) {
  assert.equal((await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/${lab}/start`, { token: s.token })).status, 200);
  const r = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/${lab}/check`, { token: s.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

before(async () => {
  process.env.LTI_RETRY_BASE_MS = '100';
  platform = await new FakePlatform().start();
  runner = await start();
  platform.toolJwks = `${runner.url}/lti/jwks`;
  operator = readFileSync(operatorTokenPath(runner.config), 'utf8').trim();
});
after(async () => {
  await runner?.close();
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  delete process.env.LTI_RETRY_BASE_MS;
});

test('npm run lti -- add | list | remove against the running runner; the tool key is in DATA_DIR (0600) and published', async () => {
  const env = { ...process.env, RUNNER_URL: runner.url, DATA_DIR: dataDir, RUNNER_ID: runnerId, INSTRUCTOR_TOKEN: '' };
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(root, 'scripts/lti.ts'), ...args], { env, cwd: root });
  const r = platform.registration();
  const added = await cli('add', '--issuer', r.issuer, '--client-id', r.clientId, '--deployment', r.deployments[0]!, '--auth-url', r.authUrl, '--token-url', r.tokenUrl, '--jwks-url', r.jwksUrl);
  assert.match(added.stdout, /registered http:\/\/127\.0\.0\.1:\d+ \(client id client-/);
  await assert.rejects(cli('add', '--issuer', r.issuer, '--client-id', r.clientId, '--deployment', 'd', '--auth-url', r.authUrl, '--token-url', r.tokenUrl, '--jwks-url', r.jwksUrl), /409 already_registered/);
  await assert.rejects(cli('add', '--issuer', 'x', '--client-id', 'y', '--deployment', 'd', '--auth-url', 'ftp://x', '--token-url', r.tokenUrl, '--jwks-url', r.jwksUrl), /400 invalid_body/);
  const other = await cli('add', '--issuer', 'https://other.example', '--client-id', 'c', '--deployment', 'd', '--auth-url', 'https://other.example/auth', '--token-url', 'https://other.example/token', '--jwks-url', 'https://other.example/jwks');
  const otherId = /as (\S+)$/m.exec(other.stdout)![1]!;
  assert.match((await cli('list')).stdout, new RegExp(`${otherId}\\s+https://other.example`));
  await cli('remove', otherId);
  assert.doesNotMatch((await cli('list')).stdout, /other\.example/);

  assert.equal(statSync(keyFilePath(runner.config)).mode & 0o777, 0o600);
  const jwks = (await api(runner.url, 'GET', '/lti/jwks')).json;
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].d, undefined, 'no private part');
  const config = (await api(runner.url, 'GET', '/lti/config')).json;
  assert.equal(config.loginUrl, `${runner.url}/lti/login`);
  assert.equal(config.jwksUrl, `${runner.url}/lti/jwks`);
  // Registration is the operator's: no token, a wrong one.
  assert.equal((await api(runner.url, 'GET', '/lti/registrations')).status, 401);
});

let student: { id: string; token: string; workshop: { id: string } };
const scoreItem = () => platform.lineitem('tagging', requiredOf('tagging').length);

test('a student launch opens the lab with a session of the course workshop; frame-ancestors names the platform', async () => {
  const r = await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-1', lab: 'tagging', lineitem: scoreItem() }));
  assert.equal(r.status, 200, r.html);
  assert.match(r.html, /,t="\/labs\/tagging\/"/);
  assert.match(r.headers.get('content-security-policy') ?? '', new RegExp(`frame-ancestors 'self' ${platform.url}`));
  student = sessionFromPage(r.html);
  const view = await api(runner.url, 'GET', `/api/sessions/${student.id}`, { token: student.token });
  assert.equal(view.status, 200);
  assert.equal(view.json.workshop.title, 'Docker 101');
  assert.equal(view.json.name, 'User stud-1');
  assert.equal(view.json.lang, 'ru');
});

test('a check posts the score: exact JSON, AGS media type, a bearer token from a signed assertion (cached)', async () => {
  const req = requiredOf('tagging');
  passing.set('tagging', [req[0].id, req[1].id]);
  await check(student, 'tagging');
  const got = await waitFor('a score', () => platform.scores[0]);
  assert.equal(got.contentType, 'application/vnd.ims.lis.v1.score+json');
  assert.equal(got.lineitem, 'tagging');
  const { timestamp, ...rest } = got.body as any;
  assert.ok(!Number.isNaN(Date.parse(timestamp)));
  assert.deepEqual(rest, {
    userId: 'stud-1',
    scoreGiven: 2,
    scoreMaximum: req.length,
    comment: `Ещё не выполнено: ${req.slice(2).map((c: any) => c.title).join('; ')}`,
    activityProgress: 'InProgress',
    gradingProgress: 'Pending',
  });
  // The same result again: nothing new to say.
  await check(student, 'tagging');
  passing.set('tagging', req.map((c: any) => c.id));
  await check(student, 'tagging');
  const full = await waitFor('the full score', () => platform.scores[1]);
  assert.equal(platform.scores.length, 2);
  assert.deepEqual([full.body.scoreGiven, full.body.scoreMaximum, full.body.activityProgress, full.body.gradingProgress, full.body.comment], [req.length, req.length, 'Completed', 'FullyGraded', undefined]);
  assert.equal(platform.tokenRequests.length, 1, 'the token is cached until it expires');
  assert.equal(platform.tokenRequests[0]!.scope, 'https://purl.imsglobal.org/spec/lti-ags/scope/score');
  // A check before start runs nothing and posts nothing.
  const before = platform.scores.length;
  passing.set('signing', []);
  const notStarted = await api(runner.url, 'POST', `/api/sessions/${student.id}/labs/signing/check`, { token: student.token });
  assert.equal(notStarted.json.started, false);
  await sleep(300);
  assert.equal(platform.scores.length, before);
});

test('a returning student gets their live session back; once it is gone, a new one carries their progress', async () => {
  const again = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-1', lab: 'tagging', lineitem: scoreItem() }))).html);
  assert.equal(again.id, student.id);
  assert.equal(again.token, student.token);
  assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${student.id}`, { token: student.token })).status, 204);
  const later = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-1', lab: 'tagging', lineitem: scoreItem(), locale: 'en-GB' }))).html);
  assert.notEqual(later.id, student.id);
  const progress = await api(runner.url, 'GET', `/api/sessions/${later.id}/progress`, { token: later.token });
  assert.equal(progress.json.labs.tagging.passed, true);
  assert.equal((await api(runner.url, 'GET', `/api/sessions/${later.id}`, { token: later.token })).json.lang, 'en');
  // A later failing check does not lower a passed lab's grade (nothing new is sent).
  const n = platform.scores.length;
  passing.set('tagging', []);
  await check(later, 'tagging');
  await sleep(300);
  assert.equal(platform.scores.length, n);
  student = later;
});

test('an instructor launch opens the course dashboard; the roster (NRPS) shows who has not started', async () => {
  platform.members = [
    { user_id: 'stud-1', roles: [LEARNER], name: 'User stud-1', status: 'Active' },
    { user_id: 'stud-2', roles: [LEARNER], name: 'Never Came', status: 'Active' },
    { user_id: 'teach-1', roles: [INSTRUCTOR], name: 'Teacher' },
  ];
  const r = await launch(platform, runner.url, platform.resourceLink({ sub: 'teach-1', roles: [INSTRUCTOR], nrps: true, locale: 'en' }));
  assert.equal(r.status, 200, r.html);
  const m = /t="\/en\/instructor\/workshop\/\?id=([^#"]+)#key=([^"]+)"/.exec(r.html);
  assert.ok(m, r.html);
  const [id, key] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
  assert.equal(id, student.workshop.id, 'one workshop per course');
  const progress = await api(runner.url, 'GET', `/api/workshops/${id}/progress`, { token: key });
  assert.equal(progress.status, 200);
  assert.ok(progress.json.learners.some((l: any) => l.name === 'User stud-1'));
  const status = await api(runner.url, 'GET', `/lti/workshops/${id}`, { token: key });
  assert.equal(status.status, 200, status.text);
  assert.deepEqual(status.json.roster.filter((x: any) => x.roles.includes(LEARNER)).map((x: any) => [x.name, x.started]), [['User stud-1', true], ['Never Came', false]]);
  assert.equal(status.json.scores.pending, 0);
  assert.ok(platform.tokenRequests.some((t) => t.scope.includes('contextmembership.readonly')));
  // A TA is staff too.
  const ta = await launch(platform, runner.url, platform.resourceLink({ sub: 'ta-1', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant'] }));
  assert.match(ta.html, /\/instructor\/workshop\/\?id=/);
});

test('deep linking: two labs come back as two resource links with line items, signed by the tool', async () => {
  const r = await launch(platform, runner.url, platform.deepLinkingRequest({ sub: 'teach-1' }));
  assert.equal(r.status, 200, r.html);
  const ticket = /name="ticket" value="([^"]+)"/.exec(r.html)![1]!;
  const picked = await postForm(`${runner.url}/lti/deep-linking`, { ticket, lab: ['tagging', 'signing'] });
  const page = await picked.text();
  assert.equal(picked.status, 200, page);
  const action = /action="([^"]+)"/.exec(page)![1]!;
  assert.equal(action, `${platform.url}/dl-return`);
  const jwt = /name="JWT" value="([^"]+)"/.exec(page)![1]!;
  const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${runner.url}/lti/jwks`)), { issuer: platform.clientId, audience: platform.issuer });
  assert.equal(payload[`${CLAIM}message_type`], 'LtiDeepLinkingResponse');
  assert.equal(payload[`${CLAIM}version`], '1.3.0');
  assert.equal(payload[`${CLAIM}deployment_id`], platform.deploymentId);
  assert.equal(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data'], 'opaque-platform-data');
  const items = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[];
  assert.deepEqual(items.map((i) => [i.type, i.custom.lab, i.lineItem.scoreMaximum, i.url]), [
    ['ltiResourceLink', 'tagging', requiredOf('tagging').length, `${runner.url}/lti/launch`],
    ['ltiResourceLink', 'signing', requiredOf('signing').length, `${runner.url}/lti/launch`],
  ]);
  assert.ok(items.every((i) => typeof i.title === 'string' && i.title.length > 0 && i.lineItem.label === i.title));
  // The platform accepts it (its own verification).
  const back = await postForm(action, { JWT: jwt });
  assert.equal(back.status, 200);
  // The ticket is used once.
  assert.equal((await postForm(`${runner.url}/lti/deep-linking`, { ticket, lab: 'tagging' })).status, 401);
});

test('every refusal is a clear page in the learner\'s language', async () => {
  const refusal = (html: string) => /data-refusal="([a-z_]+)"/.exec(html)?.[1];
  // Unknown issuer at login.
  const unknown = await postForm(`${runner.url}/lti/login`, { iss: 'https://nobody.example', login_hint: 'x', target_link_uri: runner.url }, { 'accept-language': 'en' });
  assert.equal(unknown.status, 403);
  const unknownHtml = await unknown.text();
  assert.equal(refusal(unknownHtml), 'unknown_platform');
  assert.match(unknownHtml, /<html lang="en">/);
  // GET login works like POST (and is refused the same way, in Russian by default).
  const getLogin = await fetch(`${runner.url}/lti/login?iss=https%3A%2F%2Fnobody.example&login_hint=x&target_link_uri=x`, { redirect: 'manual' });
  assert.match(await getLogin.text(), /Платформа не зарегистрирована/);
  const ok = await fetch(`${runner.url}/lti/login?iss=${encodeURIComponent(platform.issuer)}&login_hint=x&target_link_uri=x&client_id=${platform.clientId}`, { redirect: 'manual' });
  assert.equal(ok.status, 302);
  const claims = () => platform.resourceLink({ sub: 'stud-9', lab: 'tagging', locale: 'en' });
  const cases: [string, Promise<{ status: number; html: string }>, string, number][] = [
    ['unknown deployment', launch(platform, runner.url, { ...claims(), [`${CLAIM}deployment_id`]: 'other' }), 'unknown_deployment', 403],
    ['bad signature', generateKeyPair('RS256').then((k) => launch(platform, runner.url, claims(), { key: k.privateKey })), 'bad_signature', 401],
    ['expired', launch(platform, runner.url, claims(), { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 600 }), 'expired', 401],
    ['wrong audience', launch(platform, runner.url, claims(), { aud: 'someone-else' }), 'wrong_claim', 400],
    ['wrong nonce', launch(platform, runner.url, claims(), { nonce: 'not-ours' }), 'replayed', 401],
    ['missing claim', launch(platform, runner.url, { ...claims(), [`${CLAIM}resource_link`]: undefined }), 'missing_claim', 400],
    ['wrong version', launch(platform, runner.url, { ...claims(), [`${CLAIM}version`]: '1.1' }), 'wrong_claim', 400],
    ['unknown lab', launch(platform, runner.url, platform.resourceLink({ sub: 'stud-9', lab: 'no-such-lab', locale: 'en' })), 'unknown_lab', 404],
  ];
  for (const [name, p, code, status] of cases) {
    const r = await p;
    assert.equal(refusal(r.html), code, `${name}: ${r.html}`);
    assert.equal(r.status, status, name);
    assert.match(r.html, /<html lang="en">/, name);
  }
  // Replayed: the same form posted again.
  const first = await launch(platform, runner.url, claims());
  assert.equal(first.status, 200);
  const replay = await postForm(`${runner.url}/lti/launch`, first.form);
  assert.equal(replay.status, 401);
  assert.equal(refusal(await replay.text()), 'replayed');
  // The platform is down: its keys cannot be fetched.
  const down = await new FakePlatform().start();
  try {
    down.jwksDown = true;
    assert.equal((await api(runner.url, 'POST', '/lti/registrations', { token: operator, body: down.registration() })).status, 201);
    const r = await launch(down, runner.url, down.resourceLink({ sub: 's', lab: 'tagging', locale: 'ru' }));
    assert.equal(r.status, 502);
    assert.equal(refusal(r.html), 'platform_down');
    assert.match(r.html, /LMS не отвечает/);
  } finally {
    await down.stop();
  }
});

test('the LMS down for a while: scores wait in the outbox (shown as pending), then arrive once and in order', async () => {
  const s = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-3', lab: 'signing', lineitem: platform.lineitem('signing', requiredOf('signing').length) }))).html);
  const req = requiredOf('signing');
  const before = platform.scores.length;
  platform.down = true;
  for (let i = 1; i <= 3; i++) {
    passing.set('signing', req.slice(0, i).map((c: any) => c.id));
    await check(s, 'signing');
  }
  await sleep(400);
  // The instructor still gets in (the platform's JWKS is cached) and sees what is pending.
  const key = /#key=([^"]+)"/.exec((await launch(platform, runner.url, platform.resourceLink({ sub: 'teach-1', roles: [INSTRUCTOR] }))).html);
  assert.ok(key);
  const status = await api(runner.url, 'GET', `/lti/workshops/${s.workshop.id}`, { token: decodeURIComponent(key[1]!) });
  assert.equal(status.json.scores.pending, 3, status.text);
  assert.ok(status.json.scores.items.some((i: any) => i.attempts > 0 && i.lastError));
  assert.equal(platform.scores.length, before);
  platform.down = false;
  await waitFor('three scores', () => platform.scores.length >= before + 3, 30_000);
  await sleep(500);
  const got = platform.scores.slice(before).map((x) => x.body.scoreGiven);
  assert.deepEqual(got, [1, 2, 3], 'once each, in order');
});

test('a runner restart with scores pending loses nothing', async () => {
  const s = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-4', lab: 'signing', lineitem: platform.lineitem('signing', requiredOf('signing').length) }))).html);
  platform.down = true;
  passing.set('signing', [requiredOf('signing')[0].id]);
  await check(s, 'signing');
  await sleep(200);
  const before = platform.scores.length;
  await runner.stop();
  platform.down = false;
  runner = await start();
  platform.toolJwks = `${runner.url}/lti/jwks`;
  await waitFor('the pending score', () => platform.scores.length > before, 30_000);
  const last = platform.scores.at(-1)!;
  assert.equal(last.body.userId, 'stud-4');
  assert.equal(last.body.scoreGiven, 1);
  assert.ok(decodeJwt((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-4', lab: 'signing' }))).form.id_token).sub);
});

test('a section quiz as an activity: deep linked with its question count, answers post their share of right answers', async () => {
  const dl = await launch(platform, runner.url, platform.deepLinkingRequest({ sub: 'teach-1', locale: 'ru' }));
  const ticket = /name="ticket" value="([^"]+)"/.exec(dl.html)![1]!;
  assert.match(dl.html, /value="quiz:docker-hub"/);
  const page = await (await postForm(`${runner.url}/lti/deep-linking`, { ticket, lab: 'quiz:docker-hub' })).text();
  const items = decodeJwt(/name="JWT" value="([^"]+)"/.exec(page)![1]!)['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as any[];
  assert.equal(items.length, 1);
  assert.deepEqual(items[0].custom, { section: 'docker-hub' });
  const total = items[0].lineItem.scoreMaximum as number;
  assert.ok(total > 1);
  assert.match(items[0].title, /^Тест: Docker Hub$/);
  const r = await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-5', extra: { [`${CLAIM}custom`]: { section: 'docker-hub' }, 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': { scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'], lineitem: platform.lineitem('quiz-docker-hub', total) } } }));
  assert.match(r.html, /,t="\/docker-hub\/"/);
  const s = sessionFromPage(r.html);
  const before = platform.scores.length;
  const answer = await api(runner.url, 'POST', `/api/sessions/${s.id}/quiz`, { token: s.token, body: { question: 'docker-hub/hub-role', answer: '2' } });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.correct, true);
  const got = await waitFor('the quiz score', () => platform.scores.slice(before).find((x) => x.lineitem === 'quiz-docker-hub'));
  assert.deepEqual([got.body.scoreGiven, got.body.scoreMaximum, got.body.gradingProgress, got.body.userId], [1, total, 'Pending', 'stud-5']);
  // Back later in a new sandbox: the answer is still there, and nothing is sent again for it.
  assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, { token: s.token })).status, 204);
  const n = platform.scores.length;
  const again = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-5', extra: { [`${CLAIM}custom`]: { section: 'docker-hub' } } }))).html);
  assert.notEqual(again.id, s.id);
  const progress = await api(runner.url, 'GET', `/api/sessions/${again.id}/progress`, { token: again.token });
  assert.equal(progress.json.quiz.questions['docker-hub/hub-role'].correct, true);
  await sleep(300);
  assert.equal(platform.scores.length, n);
});

test('key rotation: a new signing key, the previous one still published, at most two', async () => {
  const first = (await api(runner.url, 'GET', '/lti/jwks')).json.keys.map((k: any) => k.kid);
  const r1 = await api(runner.url, 'POST', '/lti/keys/rotate', { token: operator });
  assert.equal(r1.status, 200);
  assert.deepEqual(r1.json.jwks.keys.map((k: any) => k.kid), [first[0], r1.json.kid]);
  const r2 = await api(runner.url, 'POST', '/lti/keys/rotate', { token: operator });
  assert.deepEqual((await api(runner.url, 'GET', '/lti/jwks')).json.keys.map((k: any) => k.kid), [r1.json.kid, r2.json.kid]);
  assert.equal(statSync(keyFilePath(runner.config)).mode & 0o777, 0o600);
  assert.equal((await api(runner.url, 'POST', '/lti/keys/rotate')).status, 401);
});

test('a course whose workshop the instructor ended goes on in a new one at the next launch', async () => {
  const open = async () => /t="\/instructor\/workshop\/\?id=([^#"]+)#key=([^"]+)"/.exec((await launch(platform, runner.url, platform.resourceLink({ sub: 'teach-2', roles: [INSTRUCTOR], context: 'course-2' }))).html)!.slice(1).map(decodeURIComponent);
  const [id, key] = await open();
  assert.equal((await api(runner.url, 'DELETE', `/api/workshops/${id}`, { token: key })).status, 204);
  const s = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-6', lab: 'tagging', context: 'course-2' }))).html);
  assert.notEqual(s.workshop.id, id);
  const [id2, key2] = await open();
  assert.equal(id2, s.workshop.id);
  assert.equal((await api(runner.url, 'GET', `/api/workshops/${id2}`, { token: key2 })).json.state, 'open');
});

test('a link without its own line item: the tool finds or makes one through the line items service', async () => {
  const ags = { 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': { scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/lineitem', 'https://purl.imsglobal.org/spec/lti-ags/scope/score'], lineitems: `${platform.url}/lineitems` } };
  const s = sessionFromPage((await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-7', lab: 'signing', extra: ags }))).html);
  await Promise.all(runner.lti.lineItemLookups);
  const made = [...platform.lineitems].find(([, i]) => i.resourceId === 'signing' && i.resourceLinkId === 'rl-signing');
  assert.ok(made, 'a line item was made');
  assert.equal(made[1].scoreMaximum, requiredOf('signing').length);
  assert.equal(made[1].tag, 'registry-lab');
  // A second student of the same link finds it instead of making another.
  await launch(platform, runner.url, platform.resourceLink({ sub: 'stud-8', lab: 'signing', extra: ags }));
  await Promise.all(runner.lti.lineItemLookups);
  assert.equal([...platform.lineitems.values()].filter((i) => i.resourceLinkId === 'rl-signing').length, 1);
  const before = platform.scores.length;
  passing.set('signing', []);
  await check(s, 'signing');
  const got = await waitFor('the score', () => platform.scores.slice(before).find((x) => x.lineitem === made[0]));
  assert.equal(got.body.userId, 'stud-7');
  assert.equal(got.body.scoreGiven, 0);
});
