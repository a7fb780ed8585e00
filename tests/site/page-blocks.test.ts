/**
 * The chapter's promises about output, kept by a real sandbox (the runner's Docker provider, one sandbox for
 * the whole file):
 *   - registry-internals and automated-builds: every runnable block (what the "run in terminal"
 *     button types; see page-blocks.ts) runs in order, as the learner, and prints what the `text`
 *     block under it shows (digests, ids, hashes, sizes and times normalised; `…` = anything);
 *   - troubleshooting: every ```text repro=<id> block is reproduced — the test makes the situation
 *     (SETUP below, not on the page), runs the block's `$ ` lines and finds the quoted error text;
 *   - the English pages show the same commands and the same output as the Russian ones, so running
 *     the Russian blocks proves both editions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxOps } from '../../checks/sandbox.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { createTestProvider, newSandboxId } from '../labs/harness.ts';
import { assignedNames, outputMismatch, readPage, reproBlocks, runnableBlocks } from './page-blocks.ts';

const PAGES = ['registry-internals.mdx', 'automated-builds.mdx'];

/**
 * What each troubleshooting reproduction needs before its `$ ` lines run (in ~/trouble, in page
 * order: a later one may use what an earlier one made), and the exit code the page promises.
 */
const SETUP: Record<string, { setup: string[]; exit: number | 'nonzero' }> = {
  'cosign-no-signatures': {
    setup: ['docker pull -q busybox', 'docker tag busybox localhost:5000/my-api:1.0', 'docker push -q localhost:5000/my-api:1.0', 'COSIGN_PASSWORD= cosign generate-key-pair'],
    exit: 10,
  },
  'cosign-tree-unsigned': { setup: [], exit: 0 },
  'cosign-wrong-key': {
    setup: [
      'COSIGN_PASSWORD= cosign sign --yes --key cosign.key --allow-insecure-registry --tlog-upload=false localhost:5000/my-api:1.0',
      'COSIGN_PASSWORD= cosign generate-key-pair --output-key-prefix other',
    ],
    exit: 12,
  },
  // Offline, the sandbox cannot reach Sigstore's TUF repository (a DNS timeout of a few seconds).
  'cosign-no-tlog': { setup: [], exit: 1 },
  'manifest-blob-unknown': { setup: [], exit: 0 },
  // An "arm64 program": an ELF header for AArch64 is all the kernel reads before refusing it.
  'exec-format-error': {
    setup: [
      'mkdir -p arm && cd arm',
      String.raw`printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\267\000\001\000\000\000' > app`,
      'head -c 40 /dev/zero >> app',
      'chmod +x app',
      String.raw`printf 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n' > Dockerfile`,
      'docker build -q --platform linux/arm64 -t my-api:1.0 .',
    ],
    exit: 'nonzero',
  },
  'hook-not-executable-commit': {
    setup: [
      'git init -q -b main hook-demo && cd hook-demo',
      'git config user.name Learner && git config user.email learner@example.com',
      'echo one > README && git add README && git commit -qm "First version"',
      String.raw`printf '#!/bin/sh\nexit 0\n' > .git/hooks/pre-commit`,
      'echo two >> README',
    ],
    exit: 0,
  },
  'hook-not-executable-push': {
    setup: [
      'git init -q --bare -b main ~/git/app.git',
      String.raw`printf '#!/bin/sh\necho building\n' > ~/git/app.git/hooks/post-receive`,
      'git clone -q ~/git/app.git ~/autobuild 2>/dev/null && cd ~/autobuild',
      'git config user.name Learner && git config user.email learner@example.com',
      'git commit -q --allow-empty -m "First version" && git push -q -u origin main',
      'git commit -q --allow-empty -m "Build again"',
    ],
    exit: 0,
  },
};

/** One page's blocks share a shell state, as in the learner's terminal: the working directory and the variables they set. */
function blockScript(state: string, commands: string, names: string[]): string {
  return [
    `S=$HOME/.cache/page-blocks/${state}; mkdir -p "$S"`,
    'cd "$(cat "$S/cwd" 2>/dev/null || echo "$HOME")"',
    '[ -f "$S/vars" ] && . "$S/vars"',
    'exec 2>&1',
    commands,
    '__rc=$?',
    `{ pwd > "$S/cwd"; ${names.length ? `declare -p ${names.join(' ')} > "$S/vars";` : ''} } 2>/dev/null`,
    'exit $__rc',
  ].join('\n');
}

function reproScript(setup: string[], commands: string): string {
  const prepare = setup.length ? `{ ${setup.join(' &&\n  ')}; } > ~/.cache/repro-setup.log 2>&1 || { echo "SETUP FAILED"; cat ~/.cache/repro-setup.log; exit 99; }` : '';
  return ['mkdir -p ~/trouble ~/.cache && cd ~/trouble', prepare, 'exec 2>&1', commands].join('\n');
}

test('the English pages run the same blocks and show the same output as the Russian ones', () => {
  for (const page of PAGES) {
    const ru = runnableBlocks(readPage(page), page);
    const en = runnableBlocks(readPage(`en/${page}`), `en/${page}`);
    assert.ok(ru.length > 0, `${page}: no runnable blocks`);
    assert.deepEqual(
      en.map((b) => [b.commands, b.expected]),
      ru.map((b) => [b.commands, b.expected]),
      `${page}: the English edition's runnable blocks or their outputs differ from the Russian ones`,
    );
  }
  const ru = reproBlocks(readPage('troubleshooting.mdx'));
  const en = reproBlocks(readPage('en/troubleshooting.mdx'));
  assert.deepEqual(
    en.map((r) => [r.id, r.commands, r.expected]),
    ru.map((r) => [r.id, r.commands, r.expected]),
    'troubleshooting: the English reproductions differ from the Russian ones',
  );
  assert.deepEqual(ru.map((r) => r.id).sort(), Object.keys(SETUP).sort(), 'troubleshooting: repro blocks and SETUP name the same cases');
});

describe('page blocks in a sandbox', { timeout: 15 * 60_000 }, () => {
  let provider: SandboxProvider;
  let sandbox: SandboxOps;
  before(async () => {
    provider = await createTestProvider('page-blocks');
    await provider.init();
    const id = newSandboxId();
    await provider.create(id);
    sandbox = provider.ops(id);
  });
  after(async () => {
    await provider?.shutdown();
  });

  for (const page of PAGES) {
    test(`${page}: every runnable block prints what the page shows under it`, async () => {
      const blocks = runnableBlocks(readPage(page), page);
      const names: string[] = [];
      for (const b of blocks) {
        for (const n of assignedNames(b.commands)) if (!names.includes(n)) names.push(n);
        const r = await sandbox.exec(blockScript(page.replace(/\W/g, '-'), b.commands, names), { timeoutMs: 180_000 });
        const out = r.stdout + r.stderr;
        const where = `${page}:${b.line}\n--- commands\n${b.commands}\n--- output\n${out}`;
        assert.equal(r.exitCode, 0, `exit code ${r.exitCode} at ${where}`);
        const miss = outputMismatch(b.expected, out);
        assert.equal(miss, null, `${miss} at ${where}`);
      }
    });
  }

  test('troubleshooting: every quoted error is what the command prints in the sandbox', async () => {
    for (const rp of reproBlocks(readPage('troubleshooting.mdx'))) {
      const want = SETUP[rp.id];
      assert.ok(want, `troubleshooting:${rp.line}: repro=${rp.id} has no SETUP in this test`);
      const r = await sandbox.exec(reproScript(want.setup, rp.commands), { timeoutMs: 180_000 });
      const out = r.stdout + r.stderr;
      const where = `troubleshooting.mdx:${rp.line} (${rp.id})\n--- commands\n${rp.commands}\n--- output\n${out}`;
      assert.notEqual(r.exitCode, 99, `setup failed at ${where}`);
      if (want.exit === 'nonzero') assert.notEqual(r.exitCode, 0, `exit code 0 at ${where}`);
      else assert.equal(r.exitCode, want.exit, `exit code ${r.exitCode} at ${where}`);
      const miss = outputMismatch(rp.expected, out);
      assert.equal(miss, null, `${miss} at ${where}`);
    }
  });
});
