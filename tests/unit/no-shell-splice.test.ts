/**
 * No shell text is built from data: every value a check hands to a shell (a digest the
 * registry answered, a nonce) travels as env or argv, never spliced into the script.
 * The fake sandbox below records every exec/graderExec call (no Docker).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecResult, LabContext } from '../../checks/context.ts';
import { checkerProblemMessage } from '../../checks/lab-helpers.ts';
import { ENGINE_MESSAGES, renderAll } from '../../checks/messages.ts';
import { MEDIA_TYPES, RegistryError, sha256Digest } from '../../checks/registry-client.ts';
import signingLab, { grade as gradeSigning, graderJob } from '../../labs/signing/lab.ts';
import automatedBuildLab, { pushJob } from '../../labs/automated-build/lab.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Quotes, `;`, `$()`, backticks and newlines: shell code if it were ever spliced. */
const EVIL = `x'"; touch PWNED-MARK; echo $(touch PWNED-MARK) \`touch PWNED-MARK\`\nid > /tmp/pwned; echo '`;
const EVIL_DIGEST = "sha256:0'; id > /tmp/pwned; echo '";

interface Call {
  kind: 'exec' | 'graderExec';
  cmd: string | string[];
  env: Record<string, string>;
}

function fakeCtx(registryUrl: string, files: Record<string, string>, answer: (c: Call) => Partial<ExecResult> = () => ({})) {
  const calls: Call[] = [];
  const state = new Map<string, unknown>();
  const run = (kind: Call['kind']) => async (cmd: string | string[], opts: { env?: Record<string, string> } = {}): Promise<ExecResult> => {
    const c = { kind, cmd, env: { ...(opts.env ?? {}) } };
    calls.push(c);
    return { exitCode: 0, stdout: '', stderr: '', ...answer(c) };
  };
  const ctx = {
    labDir: ROOT,
    state: { get: (k: string) => state.get(k), set: (k: string, v: unknown) => void state.set(k, v), clear: () => state.clear() },
    sandbox: {
      sessionId: 'test',
      home: '/home/learner',
      exec: run('exec'),
      graderExec: run('graderExec'),
      readFile: async (p: string) => (p in files ? Buffer.from(files[p]) : null),
      copyIn: async () => undefined,
      registryUrl: () => registryUrl,
      startRegistry: async () => undefined,
      probeImage: async () => ({ ok: false }),
    },
  } as unknown as LabContext;
  return { ctx, calls };
}

/** The text a shell would parse: a string command, or the script argument of `bash -c`. */
function commandText(c: Call): string {
  return Array.isArray(c.cmd) ? (['bash', 'sh'].includes(c.cmd[0]) && c.cmd.includes('-c') ? c.cmd[c.cmd.indexOf('-c') + 1] : '') : c.cmd;
}

function assertOnlyData(calls: Call[], ...values: string[]) {
  for (const c of calls) {
    const text = commandText(c);
    for (const v of values) {
      assert.ok(!text.includes(v), `value spliced into the ${c.kind} command: ${text}`);
      for (const part of ['/tmp/pwned', 'PWNED-MARK']) if (v.includes(part)) assert.ok(!text.includes(part), `part of a value in the ${c.kind} command: ${text}`);
    }
  }
}

/** A registry that lies with an injection in Docker-Content-Digest. */
async function hostileRegistry(manifest: Buffer) {
  const server = createServer((req, res) => {
    if (req.url === '/v2/shop/api/manifests/1.4.2') {
      res.setHeader('content-type', MEDIA_TYPES.ociManifest);
      res.setHeader('docker-content-digest', EVIL_DIGEST);
      res.end(req.method === 'HEAD' ? undefined : manifest);
      return;
    }
    res.statusCode = 404;
    res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as any).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const PUB = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('signing lab: the image reference goes to cosign as data', () => {
  it('the grader script is fixed text; the reference is only in IMAGE_REF', () => {
    const job = graderJob(true, EVIL);
    assert.equal(job.env.IMAGE_REF, EVIL);
    assert.ok(job.script.includes('"$IMAGE_REF"'));
    assertOnlyData([{ kind: 'graderExec', cmd: job.script, env: job.env }], EVIL);
    assert.equal(graderJob(true, 'localhost:5000/shop/api@' + sha256Digest('a')).script, job.script, 'the script does not depend on the value');
  });

  it('bash hands IMAGE_REF to cosign as one argument and runs none of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-splice-'));
    try {
      writeFileSync(join(dir, 'cosign'), '#!/bin/sh\nprintf "%s\\0" "$@" > args.out\nexit 1\n');
      chmodSync(join(dir, 'cosign'), 0o755);
      writeFileSync(join(dir, 'cosign.pub'), PUB);
      const job = graderJob(false, EVIL);
      const out = execFileSync('bash', ['-c', job.script], { cwd: dir, env: { PATH: `${dir}:${process.env.PATH}`, ...job.env }, encoding: 'utf8' });
      assert.match(out, /^VERIFY_EXIT=1$/m);
      const args = readFileSync(join(dir, 'args.out'), 'utf8').split('\0').slice(0, -1);
      assert.equal(args.at(-1), EVIL);
      assert.equal(existsSync(join(dir, 'PWNED-MARK')), false, 'part of the value ran as a command');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('grade() never splices the digest, and does not verify a malformed one at all', async () => {
    const { ctx, calls } = fakeCtx('http://127.0.0.1:1', {});
    await gradeSigning(ctx, null, PUB, EVIL_DIGEST);
    assertOnlyData(calls, EVIL_DIGEST);
    assert.ok(calls.every((c) => !JSON.stringify(c).includes('pwned')), 'a malformed digest reached the grader');
    const good = sha256Digest('manifest');
    await gradeSigning(ctx, null, PUB, good);
    assert.equal(calls.length, 1);
    assertOnlyData(calls, good);
    assert.equal(calls[0].env.IMAGE_REF, `localhost:5000/shop/api@${good}`);
  });

  it('end to end: a registry lying in Docker-Content-Digest does not reach the grader script', async () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: sha256Digest('c'), size: 1 }, layers: [] }));
    const reg = await hostileRegistry(manifest);
    try {
      const { ctx, calls } = fakeCtx(reg.url, { '/home/learner/keys/cosign.pub': PUB }, () => ({ stdout: 'VERIFY_EXIT=1\n' }));
      const spec = signingLab as any;
      const prepared = await spec.prepare(ctx);
      assert.equal(prepared.digest, sha256Digest(manifest));
      const outcome = await spec.criteria.verifies(ctx, prepared);
      assert.equal(outcome.passed, false);
      assert.equal(calls.filter((c) => c.kind === 'graderExec').length, 1);
      assertOnlyData(calls, EVIL_DIGEST, sha256Digest(manifest));
      assert.equal(calls[0].env.IMAGE_REF, `localhost:5000/shop/api@${sha256Digest(manifest)}`);
      assert.ok(!JSON.stringify(calls).includes('pwned'));
    } finally {
      await reg.close();
    }
  });
});

describe('automated-build lab: the nonce goes to the push script as data', () => {
  it('the push script is fixed text; the nonce is only in CHECK_NONCE', () => {
    const job = pushJob(EVIL);
    assert.equal(job.env.CHECK_NONCE, EVIL);
    assert.ok(job.script.includes('"$CHECK_NONCE"'));
    assertOnlyData([{ kind: 'exec', cmd: job.script, env: job.env }], EVIL);
    assert.equal(pushJob('00ff').script, job.script);
  });

  it('prepare() passes its nonce through env', async () => {
    const reg = await hostileRegistry(Buffer.from('{}')); // 404 for shop/auto: nothing pushed yet
    const { ctx, calls } = fakeCtx(reg.url, {}, (c) => {
      const text = commandText(c);
      if (text.includes('hooksPath')) return { stdout: 'MISSING /home/learner/git/app.git/hooks/post-receive\n' };
      if (text.includes('git push')) return { stdout: `OLD=${'a'.repeat(40)}\nNEW=${'b'.repeat(40)}\nPUSH_FAILED\n` };
      return {};
    });
    try {
      const p = await (automatedBuildLab as any).prepare(ctx);
      assert.equal(p.pushFailed, true);
    } finally {
      await reg.close();
    }
    const push = calls.find((c) => commandText(c).includes('git push'));
    assert.ok(push, `no push: ${JSON.stringify(calls)}`);
    assert.match(push.env.CHECK_NONCE, /^[0-9a-f]{16}$/);
    assertOnlyData(calls, push.env.CHECK_NONCE);
  });
});

describe('no exec of a script with ${...} in checks/ and labs/', () => {
  it('no exec(`…${…}…`) / graderExec(`…${…}…`) call', () => {
    const files = [
      ...readdirSync(join(ROOT, 'labs')).map((d) => join(ROOT, 'labs', d, 'lab.ts')).filter(existsSync),
      ...readdirSync(join(ROOT, 'checks'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'checks', f)),
    ];
    assert.ok(files.length > 10);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      assert.doesNotMatch(src, /\b(?:exec|graderExec|execOrThrow)\(\s*(?:ctx\s*,\s*)?`[^`]*\$\{/, `${f} runs a script built with \${...}`);
    }
  });
});

describe('checkerProblemMessage', () => {
  it('shows a RegistryError message, never its detail', () => {
    const secret = 'HOST-SECRET-19';
    for (const status of [undefined, 500]) {
      const e = new RegistryError('registry http://x: GET /v2/ answered HTTP 500', { url: 'http://x/v2/', status, detail: secret });
      assert.equal(e.detail, secret);
      assert.ok(!JSON.stringify(renderAll(checkerProblemMessage(e), [ENGINE_MESSAGES])).includes(secret));
      assert.ok(!JSON.stringify(e).includes(secret));
    }
  });
});
