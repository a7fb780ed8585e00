// The one vocabulary of sandbox failures (runner/src/sandbox/errors.ts): each backend turns its own
// engine's words into these types at its edge; everything above matches the type, never the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, isSandboxGone, SandboxGoneError, UnknownSandboxError } from '../../runner/src/sandbox/errors.ts';
import { KnownSandboxes } from '../../runner/src/sandbox/known.ts';
import { sandboxErrorOf as dockerError } from '../../runner/src/docker/errors.ts';
import { sandboxErrorOf as kubeError } from '../../runner/src/kubernetes/client.ts';
import type { SandboxOps } from '../../checks/sandbox.ts';

test("each backend's words for a gone sandbox become SandboxGoneError; other errors pass unchanged", () => {
  const docker = dockerError(new Error('(HTTP code 409) container stopped/paused - Container 98f9 is not running'));
  assert.ok(isSandboxGone(docker));
  assert.match((docker as Error).message, /is not running/, 'the message is kept for the log');
  assert.ok(isSandboxGone(kubeError(Object.assign(new Error('HTTP-Code: 404'), { code: 404 }))));
  assert.ok(isSandboxGone(kubeError(new Error('Unexpected server response: 404'))));
  const other = new Error('no space left on device');
  assert.equal(dockerError(other), other);
  assert.equal(kubeError(other), other);
  assert.ok(!isSandboxGone(new Error('container stopped')), 'text alone is not the type');
});

test('cancelled and unknown sandbox: one type each, with the name and code callers know', () => {
  const c = new CancelledError();
  assert.equal(c.name, 'AbortError');
  assert.equal(c.code, 'cancelled');
  const u = new UnknownSandboxError('abc');
  assert.equal(u.code, 'unknown-sandbox');
  assert.match(u.message, /unknown sandbox abc/);
});

test('KnownSandboxes: refs and ops per sandbox, ops failures translated, forgotten on destroy', async () => {
  let made = 0;
  const fail = async (): Promise<never> => {
    throw new Error('no such container: rl-x-ws');
  };
  const makeOps = (id: string, refs: { ws: string }): SandboxOps => {
    made++;
    return {
      sessionId: id, home: '/home/learner', exec: fail, graderExec: fail, readFile: fail, copyIn: fail, startRegistry: fail, probeImage: fail,
      registryUrl: (port = 5000) => `http://${refs.ws}:${port}`,
    };
  };
  const known = new KnownSandboxes(makeOps, dockerError);
  assert.throws(() => known.get('a'), UnknownSandboxError);
  assert.throws(() => known.opsOf('a'), UnknownSandboxError);
  known.set('a', { ws: '10.0.0.2' });
  const ops = known.opsOf('a');
  assert.equal(known.opsOf('a'), ops, 'made once');
  assert.equal(ops.registryUrl(5001), 'http://10.0.0.2:5001');
  await assert.rejects(ops.exec('true'), SandboxGoneError);
  known.forget('a');
  assert.throws(() => known.opsOf('a'), UnknownSandboxError);
  known.set('a', { ws: '10.0.0.3' });
  known.clear();
  assert.throws(() => known.get('a'), UnknownSandboxError);
  assert.equal(made, 1);
});
