/** Running the reference solution, the other right ones and the known-wrong ones as the learner (for the tests). */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult, LabContext } from './context.ts';
import type { LoadedLab } from './load.ts';
import { installScripts, scriptDir, scriptEnv, tail } from './start.ts';
import { parseWrongHeader, type WrongExpectation } from './wrong-header.ts';

// Reference solutions are judged by their outcome, not their speed: compiling Go in a 1-CPU
// sandbox on a busy CI machine (Kubernetes run, multistage) took over 5 minutes.
const SOLVE_TIMEOUT_MS = 10 * 60_000;

async function runScriptAsLearner(lab: LoadedLab, ctx: LabContext, localPath: string, sandboxName: string): Promise<ExecResult> {
  await installScripts(lab, ctx, [{ path: sandboxName, content: await readFile(localPath) }]);
  return ctx.sandbox.exec(['bash', '-l', `${scriptDir(lab)}/${sandboxName}`], {
    user: 'learner',
    cwd: ctx.sandbox.home,
    env: scriptEnv(lab, ctx),
    timeoutMs: SOLVE_TIMEOUT_MS,
  });
}

/** Runs solve.sh as the learner (cwd = home); throws with the stderr tail if it fails. */
export async function runSolve(lab: LoadedLab, ctx: LabContext): Promise<ExecResult> {
  const r = await runScriptAsLearner(lab, ctx, lab.solveScript, 'solve.sh');
  if (r.exitCode !== 0) throw new Error(`lab "${lab.id}": solve.sh exited with code ${r.exitCode}: ${tail(r.stderr) || tail(r.stdout) || '(no output)'}`);
  return r;
}

function scriptPath(lab: LoadedLab, folder: 'wrong' | 'alt', name: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad ${folder}-solution name "${name}"`);
  const p = join(lab.dir, folder, `${name}.sh`);
  if (!existsSync(p)) throw new Error(`lab "${lab.id}": ${folder}/${name}.sh does not exist`);
  return p;
}

const wrongPath = (lab: LoadedLab, name: string) => scriptPath(lab, 'wrong', name);

/** Runs alt/<name>.sh (another right answer) as the learner (cwd = home); throws with the stderr tail if it fails. */
export async function runAlt(lab: LoadedLab, ctx: LabContext, name: string): Promise<ExecResult> {
  const r = await runScriptAsLearner(lab, ctx, scriptPath(lab, 'alt', name), `alt-${name}.sh`);
  if (r.exitCode !== 0) throw new Error(`lab "${lab.id}": alt/${name}.sh exited with code ${r.exitCode}: ${tail(r.stderr) || tail(r.stdout) || '(no output)'}`);
  return r;
}

/** Runs wrong/<name>.sh as the learner (cwd = home). Returns its result; the caller judges the exit code. */
export async function runWrong(lab: LoadedLab, ctx: LabContext, name: string): Promise<ExecResult> {
  return runScriptAsLearner(lab, ctx, wrongPath(lab, name), `wrong-${name}.sh`);
}

/** The `# expect-fail` / `# expect-message` header of wrong/<name>.sh (wrong-header.ts). */
export async function wrongExpectation(lab: LoadedLab, name: string): Promise<WrongExpectation> {
  const text = await readFile(wrongPath(lab, name), 'utf8');
  try {
    return parseWrongHeader(text, lab.definition.criteria.map((c) => c.id));
  } catch (err) {
    throw new Error(`lab "${lab.id}": wrong/${name}.sh: ${(err as Error).message}`);
  }
}
