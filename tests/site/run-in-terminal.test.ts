import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error plain JS module without type declarations
import { commandsOf } from '../../site/src/lib/ec-run-in-terminal.mjs';

test('shell blocks: comments, blank lines and prompts are dropped', () => {
  const code = '# pull the image\ndocker pull busybox\n\n$ docker images busybox\n  # indented comment\ndocker tag busybox localhost:5000/busybox';
  assert.equal(commandsOf(code, 'bash'), 'docker pull busybox\ndocker images busybox\ndocker tag busybox localhost:5000/busybox');
});

test('console blocks: only the prompt lines are commands, output is skipped', () => {
  const code = '$ docker version --format {{.Server.Version}}\n26.1.5\n$ echo ok\nok';
  assert.equal(commandsOf(code, 'console'), 'docker version --format {{.Server.Version}}\necho ok');
});

test('a block with only comments has nothing to run', () => {
  assert.equal(commandsOf('# nothing here', 'sh'), '');
});
