/**
 * Engine and helper tests that need no Docker: lab loading errors (criteria keys against
 * lab.json), check isolation (crash, prepare failure, timeout), start order with a fake
 * sandbox, wrong-solution headers, message rules, history
 * normalisation, image-archive parsing (Docker, OCI, gzip, not-an-image).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { loadLabs, loadLab, startLab, checkLab, createLabState, wrongExpectation, listWrongSolutions, type LoadedLab } from '../../checks/engine.ts';
import { parseWrongHeader } from '../../checks/wrong-header.ts';
import type { ExecOptions, ExecResult, FileToCopy, LabContext, SandboxOps } from '../../checks/context.ts';
import { normalizeHistoryCommand, sameHistoryCommand } from '../../checks/history.ts';
import { parseImageArchive, normalizeImageRef, ImageArchiveError } from '../../checks/image-archive.ts';
import { sha256Digest } from '../../checks/registry-client.ts';
import { checkerProblemMessage, LearnerError, plural } from '../../checks/lab-helpers.ts';
import { ENGINE_MESSAGES, render } from '../../checks/messages.ts';
import { RegistryError } from '../../checks/registry-client.ts';
import { messageProblem } from './harness.ts';
import type { LabEngine } from '../../runner/src/labs/service.ts';
import * as engineModule from '../../checks/engine.ts';

// Compile-time: the engine has exactly the signatures the runner's HTTP layer relies on.
const _runnerSeesEngine: LabEngine = engineModule;
void _runnerSeesEngine;

const DEFINE_LAB_TS = new URL('../../checks/define-lab.ts', import.meta.url).pathname;
const HELPERS_TS = new URL('../../checks/lab-helpers.ts', import.meta.url).pathname;

function writeLab(root: string, id: string, opts: { json?: object | string; ts?: string; solve?: boolean; setup?: string; wrong?: Record<string, string>; alt?: Record<string, string>; files?: Record<string, string> } = {}) {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const json = opts.json ?? {
    id,
    title: `Лаба ${id}`,
    order: 1,
    section: 'docker-hub',
    summary: 'Тестовая лаба',
    criteria: [
      { id: 'one', title: 'Первый пункт' },
      { id: 'two', title: 'Второй пункт', required: false },
    ],
    checkTimeoutMs: 300,
  };
  writeFileSync(join(dir, 'lab.json'), typeof json === 'string' ? json : JSON.stringify(json));
  writeFileSync(
    join(dir, 'lab.ts'),
    opts.ts ?? `import { defineLab } from '${DEFINE_LAB_TS}';\nexport default defineLab({ criteria: { one: () => ({ passed: true, message: 'хорошо' }), two: () => ({ passed: false, message: 'не сделано, но не обязательно' }) } });\n`,
  );
  if (opts.solve !== false) writeFileSync(join(dir, 'solve.sh'), '#!/bin/bash\necho solve\n');
  if (opts.setup) writeFileSync(join(dir, 'setup.sh'), opts.setup);
  if (opts.wrong) {
    mkdirSync(join(dir, 'wrong'));
    for (const [n, body] of Object.entries(opts.wrong)) writeFileSync(join(dir, 'wrong', `${n}.sh`), body);
  }
  if (opts.alt) {
    mkdirSync(join(dir, 'alt'));
    for (const [n, body] of Object.entries(opts.alt)) writeFileSync(join(dir, 'alt', `${n}.sh`), body);
  }
  if (opts.files) {
    for (const [p, body] of Object.entries(opts.files)) {
      mkdirSync(join(dir, 'files', p, '..'), { recursive: true });
      writeFileSync(join(dir, 'files', p), body);
    }
  }
  return dir;
}

/** A SandboxOps that records what the engine does. */
function fakeSandbox(script: { setupExit?: number; setupStderr?: string } = {}) {
  const log: string[] = [];
  const ops: SandboxOps = {
    sessionId: 'fake',
    home: '/home/learner',
    async exec(cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> {
      log.push(`exec ${opts.user ?? 'learner'} ${opts.cwd ?? ''} ${Array.isArray(cmd) ? cmd.join(' ') : cmd}`);
      const isSetup = Array.isArray(cmd) && cmd[1]?.endsWith('/setup.sh');
      return { exitCode: isSetup ? (script.setupExit ?? 0) : 0, stdout: '', stderr: isSetup ? (script.setupStderr ?? '') : '' };
    },
    async graderExec() {
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    async readFile() {
      return null;
    },
    async copyIn(dest: string, files: FileToCopy[]) {
      log.push(`copyIn ${dest} ${files.map((f) => `${f.path}:${(f.mode ?? 0o644).toString(8)}`).sort().join(',')}`);
    },
    registryUrl: (port = 5000) => `http://127.0.0.1:${port}`,
    async startRegistry() {},
    async probeImage() {
      return { ok: false, error: 'fake' };
    },
  };
  return { ops, log };
}

describe('engine: loading labs', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rl-labs-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('loads valid labs sorted by order, with wrong solutions and their headers, and other right ones', async () => {
    const labs = join(root, 'ok');
    const beta = { id: 'beta', title: 'Бета', order: 2, section: 's', summary: 'Вторая', criteria: [{ id: 'c', title: 'Пункт' }, { id: 'd', title: 'Другой' }] };
    const betaTs = `import { defineLab } from '${DEFINE_LAB_TS}';\nexport default defineLab({ criteria: { c: () => ({ passed: true, message: 'да' }), d: () => ({ passed: true, message: 'да' }) } });\n`;
    writeLab(labs, 'beta', { json: beta, ts: betaTs, wrong: { b: '#!/bin/bash\n# expect-fail: c\n# expect-message: c: нет\n', a: '#!/bin/bash\n# expect-fail: c, d\n# expect-message: d: не\\s+тот\n' }, alt: { 'other-tool': '#!/bin/bash\n', 'by-id': '#!/bin/bash\n' } });
    writeLab(labs, 'alpha');
    mkdirSync(join(labs, 'shared-notes')); // a folder without lab.json is not a lab
    const loaded = await loadLabs(labs);
    assert.deepEqual(loaded.map((l) => l.id), ['alpha', 'beta']);
    assert.equal(loaded[0].definition.criteria[1].required, false);
    assert.equal(loaded[0].definition.criteria[0].required, true);
    assert.deepEqual(loaded[1].wrongSolutions, ['a', 'b']);
    assert.deepEqual(await listWrongSolutions(loaded[1]), ['a', 'b']);
    assert.deepEqual(loaded[1].altSolutions, ['by-id', 'other-tool']);
    assert.deepEqual(loaded[0].altSolutions, []);
    const a = await wrongExpectation(loaded[1], 'a');
    assert.deepEqual(a.fail, ['c', 'd']);
    assert.deepEqual(a.messages.map((m) => [m.criterion, m.pattern.test('это не  тот образ')]), [['d', true]]);
    assert.equal(loaded[0].setupScript, null);
  });

  it('names the lab and the field when lab.json is invalid', async () => {
    const d = writeLab(join(root, 'bad1'), 'bad-field', { json: { id: 'bad-field', title: 'Лаба', order: 1, section: 's', summary: 'x y z', criteria: [{ id: 'Bad_Id', title: 'Пункт' }] } });
    await assert.rejects(loadLab(d), /lab "bad-field": lab\.json: field "criteria\.0\.id": criterion ids are kebab-case/);
    const d2 = writeLab(join(root, 'bad2'), 'no-criteria', { json: { id: 'no-criteria', title: 'Лаба', order: 1, section: 's', summary: 'x y z', criteria: [] } });
    await assert.rejects(loadLab(d2), /lab "no-criteria": lab\.json: field "criteria"/);
    const d3 = writeLab(join(root, 'bad3'), 'bad-json', { json: '{ nope' });
    await assert.rejects(loadLab(d3), /lab "bad-json": lab\.json is not valid JSON/);
    const d4 = writeLab(join(root, 'bad4'), 'folder', { json: { id: 'other', title: 'Лаба', order: 1, section: 's', summary: 'x y z', criteria: [{ id: 'a', title: 'Пункт' }] } });
    await assert.rejects(loadLab(d4), /lab "folder": lab\.json: field "id" is "other" but the folder is "folder"/);
    const d5 = writeLab(join(root, 'bad5'), 'no-solve', { solve: false });
    await assert.rejects(loadLab(d5), /lab "no-solve": solve\.sh .* is missing/);
    const d6 = writeLab(join(root, 'bad6'), 'no-criteria-fn', { ts: 'export default {};\n' });
    await assert.rejects(loadLab(d6), /lab "no-criteria-fn": lab\.ts: defineLab needs "criteria"/);
    const d6b = writeLab(join(root, 'bad6b'), 'no-export', { ts: 'export const x = 1;\n' });
    await assert.rejects(loadLab(d6b), /lab "no-export": lab\.ts must default-export defineLab/);
    const d6c = writeLab(join(root, 'bad6c'), 'check-only', { ts: 'export default { async check() { return {}; } };\n' });
    await assert.rejects(loadLab(d6c), /lab "check-only": lab\.ts: defineLab needs "criteria"/);
    const d7 = writeLab(join(root, 'bad7'), 'hint-ref', { json: { id: 'hint-ref', title: 'Лаба', order: 1, section: 's', summary: 'x y z', criteria: [{ id: 'a', title: 'Пункт' }], hints: [{ criterion: 'zzz', text: 'подсказка' }] } });
    await assert.rejects(loadLab(d7), /lab "hint-ref".*unknown criterion "zzz"/);
    await assert.rejects(loadLabs(join(root, 'bad1')), /bad-field/);
  });

  it('refuses a lab whose criteria keys differ from lab.json (a typo fails at load, not in front of a learner)', async () => {
    const typo = `import { defineLab } from '${DEFINE_LAB_TS}';\nexport default defineLab({ criteria: { one: () => ({ passed: true, message: 'да' }), tow: () => ({ passed: true, message: 'да' }) } });\n`;
    const d = writeLab(join(root, 'typo'), 'typo', { ts: typo });
    await assert.rejects(loadLab(d), /lab "typo": lab\.ts: no function for criterion "two" of lab\.json; criteria "tow" are not in lab\.json/);
    const notFn = `import { defineLab } from '${DEFINE_LAB_TS}';\nexport default defineLab({ criteria: { one: () => ({ passed: true, message: 'да' }), two: 'x' as any } });\n`;
    await assert.rejects(loadLab(writeLab(join(root, 'notfn'), 'notfn', { ts: notFn })), /criterion "two" must be a function/);
  });

  it('every lab of the course loads (criteria keys equal lab.json ids)', async () => {
    const labs = await loadLabs(new URL('../../labs', import.meta.url).pathname);
    assert.ok(labs.length >= 9, `only ${labs.length} labs`);
    for (const lab of labs) assert.deepEqual(Object.keys(lab.spec.criteria).sort(), lab.definition.criteria.map((c) => c.id).sort(), lab.id);
  });
});

describe('engine: start and check', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rl-labs-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const ctxFor = (lab: LoadedLab, ops: SandboxOps): LabContext => ({ sandbox: ops, state: createLabState(), labDir: lab.dir });

  it('starts in order: files, state cleared, reset, setup.sh as root in home, record', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({
  async reset(ctx) { ctx.state.set('order', [...(ctx.state.get('order') ?? []), 'reset']); },
  async record(ctx) { ctx.state.set('order', [...(ctx.state.get('order') ?? []), 'record']); },
  criteria: { one: () => ({ passed: true, message: 'да' }), two: () => ({ passed: true, message: 'да' }) },
});\n`;
    const lab = await loadLab(writeLab(root, 'order', { ts, setup: '#!/bin/bash\ntrue\n', files: { 'notes/a.txt': 'a', 'run.sh': '#!/bin/sh\n' } }));
    const { ops, log } = fakeSandbox();
    const ctx = ctxFor(lab, ops);
    ctx.state.set('stale', true);
    await startLab(lab, ctx);
    assert.equal(ctx.state.get('stale'), undefined, 'state cleared');
    assert.deepEqual(ctx.state.get('order'), ['reset', 'record']);
    assert.match(log[0], /^copyIn \/home\/learner notes\/a\.txt:644,run\.sh:644$/);
    assert.match(log[1], /^copyIn \/opt\/registry-lab .*labs\/order\/setup\.sh:755/);
    assert.match(log[1], /lib\/common\.sh/);
    assert.equal(log[2], 'exec root /home/learner bash /opt/registry-lab/labs/order/setup.sh');
  });

  it('fails start with the tail of setup.sh stderr', async () => {
    const lab = await loadLab(writeLab(root, 'broken-setup', { setup: '#!/bin/bash\nexit 3\n' }));
    const { ops } = fakeSandbox({ setupExit: 3, setupStderr: 'line 1\nsomething specific went wrong' });
    await assert.rejects(startLab(lab, ctxFor(lab, ops)), /lab "broken-setup": setup\.sh exited with code 3: line 1\nsomething specific went wrong/);
  });

  it('passes when every required criterion passes (optional ones do not decide)', async () => {
    const lab = await loadLab(writeLab(root, 'pass'));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    assert.equal(r.passed, true);
    assert.deepEqual(r.criteria.map((c) => [c.id, c.title, c.passed, c.required, c.message]), [
      ['one', 'Первый пункт', true, true, 'хорошо'],
      ['two', 'Второй пункт', false, false, 'не сделано, но не обязательно'],
    ]);
  });

  it('times each criterion on its own', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({ criteria: {
  one: () => new Promise((r) => setTimeout(() => r({ passed: true, message: 'да' }), 120)),
  two: () => ({ passed: true, message: 'да' }),
} });\n`;
    const lab = await loadLab(writeLab(root, 'timed', { ts }));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    const [one, two] = r.criteria;
    assert.ok(one.durationMs >= 100, `slow criterion timed ${one.durationMs} ms`);
    assert.ok(two.durationMs < one.durationMs, `fast ${two.durationMs} ms, slow ${one.durationMs} ms`);
    assert.ok(r.durationMs >= one.durationMs);
  });

  it('a criterion that throws fails alone, saying the check itself broke; LearnerError is shown as is', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
import { requireState } from '${HELPERS_TS}';
export default defineLab({ criteria: {
  one: () => { throw new TypeError('x is undefined'); },
  two: (ctx) => requireState(ctx, 'nothing'),
} });\n`;
    const lab = await loadLab(writeLab(root, 'crash-one', { ts }));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    assert.match(r.criteria[0].message, /У проверяющего кода возникла проблема.*не удалось проверить \(x is undefined\)/);
    assert.match(r.criteria[1].message, /данные подготовки лабы потеряны.*Начать заново/);
    assert.ok(new LearnerError('x') instanceof Error);

    const other = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({ criteria: { one: () => { throw new Error('boom 42'); }, two: () => ({ passed: true, message: 'второй в порядке' }) } });\n`;
    const lab2 = await loadLab(writeLab(root, 'crash-alone', { ts: other }));
    const r2 = await checkLab(lab2, ctxFor(lab2, fakeSandbox().ops));
    assert.deepEqual(r2.criteria.map((c) => c.passed), [false, true]);
    assert.match(r2.criteria[0].message, /проблема.*boom 42/);
    assert.equal(r2.criteria[1].message, 'второй в порядке');
  });

  it('prepare runs once and feeds every criterion; when it throws, every criterion says the check broke', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
let n = 0;
export default defineLab({
  prepare: () => ({ n: ++n }),
  criteria: { one: (_c, p) => ({ passed: p.n === 1, message: 'prepare n=' + p.n }), two: (_c, p) => ({ passed: p.n === 1, message: 'prepare n=' + p.n }) },
});\n`;
    const lab = await loadLab(writeLab(root, 'prepared', { ts }));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    assert.deepEqual(r.criteria.map((c) => c.message), ['prepare n=1', 'prepare n=1']);

    const broken = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({ prepare: () => { throw new Error('registry gone'); }, criteria: { one: () => ({ passed: true, message: 'да' }), two: () => ({ passed: true, message: 'да' }) } });\n`;
    const lab2 = await loadLab(writeLab(root, 'prepare-broken', { ts: broken }));
    const r2 = await checkLab(lab2, ctxFor(lab2, fakeSandbox().ops));
    assert.equal(r2.passed, false);
    for (const c of r2.criteria) assert.match(c.message, /проблема.*registry gone/);
  });

  it('a criterion still running at checkTimeoutMs fails with the timeout message; finished ones keep their result', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({ criteria: { one: () => new Promise(() => {}), two: () => ({ passed: true, message: 'второй готов' }) } });\n`;
    const lab = await loadLab(writeLab(root, 'slow', { ts }));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    assert.equal(r.passed, false);
    assert.match(r.criteria[0].message, /не уложилась в 0,3 с/);
    assert.deepEqual([r.criteria[1].passed, r.criteria[1].message], [true, 'второй готов']);
  });

  it('an outcome that is not { passed, message } fails with "the lab is broken"; an empty failing message gets the fallback', async () => {
    const ts = `import { defineLab } from '${DEFINE_LAB_TS}';
export default defineLab({ criteria: { one: () => ({ ok: true }) as any, two: () => ({ passed: false, message: '' }) } });\n`;
    const lab = await loadLab(writeLab(root, 'bad-outcome', { ts }));
    const r = await checkLab(lab, ctxFor(lab, fakeSandbox().ops));
    assert.match(r.criteria[0].message, /не вернул результат по пункту «Первый пункт»/);
    assert.equal(r.criteria[1].message, 'Пункт «Второй пункт» пока не выполнен.');
  });

  it('createLabState stores and clears', () => {
    const s = createLabState();
    s.set('a', 1);
    assert.equal(s.get('a'), 1);
    s.clear();
    assert.equal(s.get('a'), undefined);
  });
});

describe('history commands', () => {
  const buildkit = 'RUN /bin/sh -c mkdir -p /var/cache/my-app && head -c 300000000 /dev/urandom > /var/cache/my-app/assets.bin # buildkit';
  it('strips builder decorations and ignores whitespace', () => {
    assert.equal(normalizeHistoryCommand(buildkit), 'mkdir -p /var/cache/my-app && head -c 300000000 /dev/urandom > /var/cache/my-app/assets.bin');
    assert.equal(normalizeHistoryCommand('/bin/sh -c #(nop)  CMD ["sh"]'), 'CMD ["sh"]');
    assert.equal(normalizeHistoryCommand('|1 VERSION=1.2 /bin/sh -c echo $VERSION'), 'echo $VERSION');
    assert.equal(normalizeHistoryCommand('RUN |2 A=1 B=2 /bin/sh -c make # buildkit'), 'make');
    for (const answer of [
      'mkdir -p /var/cache/my-app && head -c 300000000 /dev/urandom > /var/cache/my-app/assets.bin',
      'RUN mkdir -p /var/cache/my-app && head -c 300000000 /dev/urandom > /var/cache/my-app/assets.bin',
      '/bin/sh -c mkdir -p /var/cache/my-app &&  head -c 300000000 /dev/urandom >/var/cache/my-app/assets.bin\n',
      `  ${buildkit}  `,
      `"${buildkit}"`,
    ]) {
      assert.ok(sameHistoryCommand(answer, buildkit), answer);
    }
    assert.ok(!sameHistoryCommand('head -c 300000000 /dev/urandom', buildkit));
    assert.ok(!sameHistoryCommand('', ''));
  });
});

async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, typeof content === 'string' ? Buffer.from(content) : content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('image archives', () => {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {} }));
  const configHex = sha256Digest(config).slice(7);
  const layer = Buffer.from('layer-bytes');
  const layerHex = sha256Digest(layer).slice(7);

  it('reads the Docker format (old and new layouts)', async () => {
    const old = await makeTar({
      'manifest.json': JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['shop/api:dev', 'docker.io/library/busybox:latest'], Layers: ['abc/layer.tar'] }]),
      [`${configHex}.json`]: config,
      'abc/layer.tar': layer,
    });
    const a = await parseImageArchive(old);
    assert.equal(a.compressed, false);
    assert.deepEqual(a.images.map((i) => [i.configDigest, i.tags]), [[sha256Digest(config), ['shop/api:dev', 'busybox:latest']]]);
  });

  it('reads OCI index.json (with nested index) and gzip, merging tags by config', async () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha256Digest(config) }, layers: [{ digest: sha256Digest(layer) }] }));
    const mHex = sha256Digest(manifest).slice(7);
    const nested = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: sha256Digest(manifest), platform: { os: 'linux', architecture: 'amd64' } }] }));
    const nHex = sha256Digest(nested).slice(7);
    const files = {
      'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
      'index.json': JSON.stringify({ schemaVersion: 2, manifests: [{ digest: sha256Digest(nested), annotations: { 'io.containerd.image.name': 'docker.io/shop/api:dev', 'org.opencontainers.image.ref.name': 'dev' } }] }),
      [`blobs/sha256/${nHex}`]: nested,
      [`blobs/sha256/${mHex}`]: manifest,
      [`blobs/sha256/${configHex}`]: config,
      [`blobs/sha256/${layerHex}`]: layer,
      'manifest.json': JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: ['localhost:5000/shop/api:1.0'], Layers: [`blobs/sha256/${layerHex}`] }]),
    };
    const a = await parseImageArchive(gzipSync(await makeTar(files)));
    assert.equal(a.compressed, true);
    assert.ok(a.hasIndexJson && a.hasManifestJson);
    assert.equal(a.images.length, 1);
    assert.deepEqual(a.images[0].tags.sort(), ['localhost:5000/shop/api:1.0', 'shop/api:dev']);
  });

  it('says what is wrong with something that is not an image archive', async () => {
    const problem = async (buf: Buffer) => {
      try {
        await parseImageArchive(buf);
        return 'ok';
      } catch (e) {
        assert.ok(e instanceof ImageArchiveError);
        return e.problem;
      }
    };
    assert.equal(await problem(Buffer.from('hello')), 'not-tar');
    assert.equal(await problem(Buffer.alloc(4096, 7)), 'not-tar');
    assert.equal(await problem(gzipSync(Buffer.from('x'.repeat(2000)))), 'not-tar');
    assert.equal(await problem(await makeTar({ 'etc/passwd': 'root:x:0:0', 'bin/sh': 'x' })), 'no-manifest');
    assert.equal(await problem(await makeTar({ 'manifest.json': '[{"Config":"missing.json"}]' })), 'missing-blob');
    assert.equal(await problem(await makeTar({ 'manifest.json': '{nope' })), 'bad-manifest');
  });

  it('normalizes image references', () => {
    assert.equal(normalizeImageRef('busybox'), 'busybox:latest');
    assert.equal(normalizeImageRef('docker.io/library/busybox:1'), 'busybox:1');
    assert.equal(normalizeImageRef('localhost:5000/shop/api'), 'localhost:5000/shop/api:latest');
    assert.equal(normalizeImageRef('shop/api@sha256:ab'), 'shop/api@sha256:ab');
  });
});

describe('harness: message quality rules', () => {
  const t = 'Пункт';
  it('rejects bare, short, non-Russian and crash messages', () => {
    assert.equal(messageProblem({ id: 'a', title: t, message: 'В реестре нет образа my-api:v1: отправьте его.' }), null);
    assert.match(messageProblem({ id: 'a', title: t, message: 'failed' })!, /bare/);
    assert.match(messageProblem({ id: 'a', title: t, message: 'Пункт' })!, /repeats|short/);
    assert.match(messageProblem({ id: 'a', title: t, message: 'The image is missing from the registry.' })!, /Russian/);
    assert.match(messageProblem({ id: 'a', title: t, message: 'У проверяющего кода возникла проблема (x)' })!, /crashed/);
    assert.equal(plural(21, 'тег', 'тега', 'тегов'), 'тег');
    assert.equal(plural(12, 'тег', 'тега', 'тегов'), 'тегов');
  });

  it('rejects what the engine and helpers say when they could not grade: registry unreachable, lost state, the fallback, a timeout', () => {
    const unreachable = render(checkerProblemMessage(new RegistryError('connect ECONNREFUSED', { url: 'http://127.0.0.1:5000/v2/' })), 'ru', [ENGINE_MESSAGES]);
    assert.match(messageProblem({ id: 'a', title: t, message: unreachable })!, /could not grade/);
    const lost = render(checkerProblemMessage(new LearnerError('check.state-lost')), 'ru', [ENGINE_MESSAGES]);
    assert.match(messageProblem({ id: 'a', title: t, message: lost })!, /could not grade/);
    assert.match(messageProblem({ id: 'a', title: 'Образ отправлен', message: 'Пункт «Образ отправлен» пока не выполнен.' })!, /fallback|could not grade/);
    assert.match(messageProblem({ id: 'a', title: t, message: 'Проверка не уложилась в 10 с, поэтому этот пункт не проверен. Подождите.' })!, /could not grade/);
  });
});

describe('wrong-solution headers', () => {
  const ids = ['a', 'b', 'c'];
  it('reads expect-fail and expect-message', () => {
    const h = parseWrongHeader('#!/bin/bash\n# expect-fail: a, b\n# expect-message: a: тег\\s+latest\n# expect-message: b: ID\n', ids);
    assert.deepEqual(h.fail, ['a', 'b']);
    assert.deepEqual(h.messages.map((m) => m.criterion), ['a', 'b']);
    assert.ok(h.messages[0].pattern.test('есть тег  latest'));
  });
  it('refuses an empty or incomplete header', () => {
    assert.throws(() => parseWrongHeader('#!/bin/bash\nexit 1\n', ids), /no "# expect-fail/);
    assert.throws(() => parseWrongHeader('# expect-fail:\n# expect-message: a: x\n', ids), /no "# expect-fail/);
    assert.throws(() => parseWrongHeader('# expect-fail: a\n', ids), /no "# expect-message/);
    assert.throws(() => parseWrongHeader('# expect-fail: z\n# expect-message: z: x\n', ids), /unknown criterion "z"/);
    assert.throws(() => parseWrongHeader('# expect-fail: a\n# expect-message: b: x\n', ids), /"b", which expect-fail does not list/);
    assert.throws(() => parseWrongHeader('# expect-fail: a\n# expect-message: a: (\n', ids), /not a valid regex/);
    assert.throws(() => parseWrongHeader('# expect-fail: a\n# expect-message: a\n', ids), /malformed/);
  });
});
