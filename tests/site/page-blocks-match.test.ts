/** The page-block helpers without a sandbox: fences, runnable blocks and their output, the output comparison. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignedNames, normalise, outputMismatch, reproBlocks, runnableBlocks } from './page-blocks.ts';

test('a quoted output with cut digests, left-out lines and `…` matches the real one', () => {
  const real = [
    'Using default tag: latest',
    'latest: Pulling from library/busybox',
    '710e941a6ab0: Pull complete',
    'Digest: sha256:b96227341b962d5e8dc605a5a2abbf94f479ab1455fca047e452aa4b52e1293d',
    'Status: Downloaded newer image for busybox:latest',
    'busybox      latest    8f6523d3ea95   22 minutes ago   2.03MB',
    '{}{',
    '  "repositories": [',
  ].join('\n');
  const quoted = ['Digest: sha256:120629fdfa27…', '…', 'busybox      latest    6e38a26b3758   About a minute ago   2.03MB', '{}', '{', '  "repositories": ['].join('\n');
  assert.equal(outputMismatch(quoted, real), null);
  assert.match(outputMismatch('Status: Image is up to date', real) ?? '', /not found/);
  // order matters
  assert.match(outputMismatch('Status: Downloaded newer image for busybox:latest\nUsing default tag: latest', real) ?? '', /Using default tag/);
  // a quoted line is a whole line, not a prefix of one
  assert.match(outputMismatch('Status: Downloaded', real) ?? '', /not found/);
});

test('normalise: timestamps, HTTP dates, microarchitecture levels, short commit hashes', () => {
  assert.equal(normalise('"created": "2026-12-06T18:41:24.636971616Z"'), '"created": "<time>"');
  assert.equal(normalise('Date: Mon, 07 Dec 2026 00:45:18 GMT\r'), 'Date: <date>');
  assert.equal(normalise('host platform (linux/amd64/v4)'), 'host platform (linux/amd64)');
  assert.equal(normalise('[main 4a567a1] First version'), '[main <hex>] First version');
  assert.equal(normalise('localhost:5000/my-api:sha-4a567a1'), 'localhost:5000/my-api:sha-<hex>');
  assert.equal(normalise('deadbeefcafe learner'), 'deadbeefcafe learner', 'hex-looking words without a digit stay');
});

test('runnable blocks need expected output; norun and shell blocks do not', () => {
  const page = ['```bash', 'echo hi', '```', 'Prose.', '```text', 'hi', '```', '```shell', 'gh auth login', '```', '```bash norun', 'curl https://example.com', '```'].join('\n');
  assert.deepEqual(runnableBlocks(page, 'p'), [{ commands: 'echo hi', expected: 'hi', line: 1 }]);
  assert.throws(() => runnableBlocks('```sh\necho a\n```\n```sh\necho b\n```\n```text\nb\n```', 'p'), /line 1 without/);
});

test('repro blocks: `$ ` lines are the commands, the rest the quoted output', () => {
  const page = 'x\n```text repro=demo\n$ git commit -m x\nhint: ignored\n```\n';
  assert.deepEqual(reproBlocks(page), [{ id: 'demo', commands: 'git commit -m x', expected: 'hint: ignored', line: 2 }]);
});

test('assigned names carry over to the next block', () => {
  assert.deepEqual(assignedNames('SHA=$(git rev-parse HEAD)\nfor TAG in a b; do echo $TAG; done\nexport X=1; Y=2 cmd'), ['SHA', 'X', 'Y', 'TAG']);
});
