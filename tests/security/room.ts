/**
 * The red-team suites' room: a real runner with a small disk quota, two learners with ready
 * terminals, a static C probe of the suite's compiled and copied into A's ~/bin, busybox pulled
 * in A. Closing it checks that the runner left no Docker object and no quota file behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import type { Config } from '../../runner/src/config.ts';
import type { Term } from '../runner/helpers.ts';
import { dockerObjects, run, startRealRunner } from '../runner/real.ts';
import { twoReadyLearners } from './ready.ts';

export interface Room {
  runner: Runner;
  a: { id: string; token: string };
  b: { id: string; token: string };
  ta: Term;
  tb: Term;
  /** Closes terminals and runner, then asserts nothing of theirs is left. */
  close(): Promise<void>;
}

/** One attempt in a learner's terminal, bounded by `timeout`; `out` is what the terminal showed. */
export const boundedAttempt = (t: Term, cmd: string, seconds: number) =>
  run(t, `timeout -k 5 ${seconds} bash -c ${JSON.stringify(cmd).replace(/\$/g, '\\$')}`, (seconds + 30) * 1000);

/** `tool`: a C file beside the suite, built statically and put in A's ~/bin under its own name. */
export async function openRoom(name: string, config: Partial<Config>, tool: URL): Promise<Room> {
  const work = mkdtempSync(join(tmpdir(), `rl-${name}-`));
  const quotaDir = mkdtempSync(join(tmpdir(), `rl-${name}-quota-`));
  const binary = tool.pathname.split('/').pop()!.replace(/\.c$/, '');
  let runner: Runner | undefined;
  let ta: Term | undefined;
  let tb: Term | undefined;
  const close = async () => {
    ta?.close();
    tb?.close();
    await runner?.close();
    rmSync(work, { recursive: true, force: true });
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
    assert.deepEqual(readdirSync(quotaDir), [], 'quota file systems are removed with their sessions');
    rmSync(quotaDir, { recursive: true, force: true });
  };
  try {
    execFileSync('gcc', ['-static', '-O1', '-o', join(work, binary), tool.pathname]);
    runner = await startRealRunner({ ...config, quotaDir });
    const learners = await twoReadyLearners(runner);
    const { a, b } = learners;
    ({ ta, tb } = learners);
    await runner.provider.ops(a.id).copyIn('/home/learner/bin', [{ path: binary, content: readFileSync(join(work, binary)), mode: 0o755 }]);
    const pull = await run(ta, 'docker pull -q busybox', 120_000);
    assert.equal(pull.code, 0, pull.out);
    return { runner, a, b, ta, tb, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
