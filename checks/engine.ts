/**
 * The grading engine: loads labs (labs/<id>/lab.json + lab.ts), starts them in a sandbox
 * (files/ → lab.setup → setup.sh → lab.afterSetup), checks them, and runs the reference and
 * known-wrong solutions for the tests.
 *
 * The runner (runner/src/labs/service.ts) calls loadLabs, startLab, checkLab and
 * createLabState with exactly these signatures.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve, relative, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { ExecResult, FileToCopy, LabContext, LabLogic, LabState } from './context.ts';
import { labDefinitionSchema, type LabDefinition } from './lab-schema.ts';
import { checkerProblemMessage } from './lab-helpers.ts';

export interface LoadedLab {
  /** = definition.id = folder name. */
  id: string;
  /** Absolute path of labs/<id>. */
  dir: string;
  definition: LabDefinition;
  logic: LabLogic;
  /** Absolute paths; setup.sh is optional. */
  setupScript: string | null;
  solveScript: string;
  /** Names of wrong/*.sh without extension, sorted. */
  wrongSolutions: string[];
}

export interface CriterionResult {
  id: string;
  title: string;
  passed: boolean;
  message: string;
  required: boolean;
}

export interface CheckResult {
  passed: boolean;
  criteria: CriterionResult[];
  durationMs: number;
}

/** Where the engine puts lab scripts and the shared shell library inside the workstation. */
export const SANDBOX_ROOT = '/opt/registry-lab';
export const SANDBOX_LIB_DIR = `${SANDBOX_ROOT}/lib`;
/** Shell library copied into every workstation on start (checks/sandbox-lib/*.sh). */
const LIB_SOURCE_DIR = fileURLToPath(new URL('./sandbox-lib/', import.meta.url));

const SETUP_TIMEOUT_MS = 5 * 60_000;
const SOLVE_TIMEOUT_MS = 5 * 60_000;

export class LabLoadError extends Error {
  readonly labId: string;
  constructor(labId: string, message: string) {
    super(`lab "${labId}": ${message}`);
    this.name = 'LabLoadError';
    this.labId = labId;
  }
}

// ------------------------------------------------------------------ loading

function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((i) => {
      const field = i.path.map(String).join('.');
      return field ? `field "${field}": ${i.message}` : i.message;
    })
    .join('; ');
}

/** Loads one lab folder; throws LabLoadError naming the lab and what is wrong. */
export async function loadLab(dir: string): Promise<LoadedLab> {
  const abs = resolve(dir);
  const folder = abs.split(sep).pop()!;
  const jsonPath = join(abs, 'lab.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LabLoadError(folder, e.code === 'ENOENT' ? 'lab.json is missing' : `lab.json is not valid JSON: ${e.message}`);
  }
  const parsed = labDefinitionSchema.safeParse(raw);
  if (!parsed.success) throw new LabLoadError(folder, `lab.json: ${formatIssues(parsed.error.issues)}`);
  const definition = parsed.data;
  if (definition.id !== folder) throw new LabLoadError(folder, `lab.json: field "id" is "${definition.id}" but the folder is "${folder}" (they must match)`);

  const tsPath = join(abs, 'lab.ts');
  if (!existsSync(tsPath)) throw new LabLoadError(folder, 'lab.ts is missing (default export defineLab({ check }))');
  let mod: { default?: Partial<LabLogic> };
  try {
    mod = (await import(pathToFileURL(tsPath).href)) as { default?: Partial<LabLogic> };
  } catch (err) {
    throw new LabLoadError(folder, `lab.ts could not be imported: ${(err as Error).message}`);
  }
  const logic = mod.default;
  if (!logic || typeof logic.check !== 'function') throw new LabLoadError(folder, 'lab.ts must default-export defineLab({ check })');
  for (const hook of ['setup', 'afterSetup'] as const) {
    if (logic[hook] !== undefined && typeof logic[hook] !== 'function') throw new LabLoadError(folder, `lab.ts: "${hook}" must be a function`);
  }

  const setupPath = join(abs, 'setup.sh');
  const solvePath = join(abs, 'solve.sh');
  if (!existsSync(solvePath)) throw new LabLoadError(folder, 'solve.sh (the reference solution) is missing');
  const filesDir = join(abs, 'files');
  if (existsSync(filesDir) && !(await stat(filesDir)).isDirectory()) throw new LabLoadError(folder, 'files must be a directory');

  return {
    id: definition.id,
    dir: abs,
    definition,
    logic: logic as LabLogic,
    setupScript: existsSync(setupPath) ? setupPath : null,
    solveScript: solvePath,
    wrongSolutions: await readWrongNames(abs),
  };
}

/** Every labs/<id>/ with a lab.json, validated and imported, sorted by order then id. */
export async function loadLabs(labsDir: string): Promise<LoadedLab[]> {
  const root = resolve(labsDir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new Error(`labs folder ${root} cannot be read: ${(err as Error).message}`);
  }
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_')).map((e) => join(root, e.name));
  const labs: LoadedLab[] = [];
  for (const d of dirs.sort()) {
    if (!existsSync(join(d, 'lab.json'))) continue; // e.g. a shared helpers folder
    labs.push(await loadLab(d));
  }
  return labs.sort((a, b) => a.definition.order - b.definition.order || a.id.localeCompare(b.id));
}

async function readWrongNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(join(dir, 'wrong')))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

/** Names of the lab's wrong/*.sh (without `.sh`), read from disk now. */
export async function listWrongSolutions(lab: LoadedLab): Promise<string[]> {
  return readWrongNames(lab.dir);
}

/** Criterion ids a wrong solution declares in a header comment `# expect-fail: a, b`. */
export async function expectedFailures(lab: LoadedLab, name: string): Promise<string[]> {
  const text = await readFile(join(lab.dir, 'wrong', `${name}.sh`), 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n').slice(0, 30)) {
    const m = /^#\s*expect-fail:\s*(.+)$/.exec(line.trim());
    if (m) out.push(...m[1].split(/[,\s]+/).filter(Boolean));
  }
  return out;
}

// ------------------------------------------------------------------ state

export function createLabState(): LabState {
  const m = new Map<string, unknown>();
  return {
    get<T = unknown>(key: string): T | undefined {
      return m.get(key) as T | undefined;
    },
    set(key: string, value: unknown) {
      m.set(key, value);
    },
    clear() {
      m.clear();
    },
  };
}

// ------------------------------------------------------------------ start

async function collectFiles(root: string): Promise<FileToCopy[]> {
  const out: FileToCopy[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await stat(p);
        out.push({ path: relative(root, p).split(sep).join('/'), content: await readFile(p), mode: st.mode & 0o111 ? 0o755 : 0o644 });
      }
    }
  };
  if (existsSync(root)) await walk(root);
  return out;
}

function tail(s: string, n = 2000): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(-n) : t;
}

function scriptDir(lab: LoadedLab): string {
  return `${SANDBOX_ROOT}/labs/${lab.id}`;
}

/** Copies the shared shell library and the given lab scripts into the workstation. */
async function installScripts(lab: LoadedLab, ctx: LabContext, scripts: Array<{ path: string; content: Buffer }>): Promise<void> {
  const lib = await collectFiles(LIB_SOURCE_DIR);
  const files: FileToCopy[] = [
    ...lib.map((f) => ({ ...f, path: `lib/${f.path}` })),
    ...scripts.map((s) => ({ path: `labs/${lab.id}/${s.path}`, content: s.content, mode: 0o755 })),
  ];
  await ctx.sandbox.copyIn(SANDBOX_ROOT, files);
}

function scriptEnv(lab: LoadedLab, ctx: LabContext): Record<string, string> {
  return {
    LAB_ID: lab.id,
    LEARNER: 'learner',
    LEARNER_HOME: ctx.sandbox.home,
    REGISTRY_LAB_LIB: SANDBOX_LIB_DIR,
    BASH_ENV: `${SANDBOX_LIB_DIR}/errtrap.sh`,
  };
}

/**
 * Starts (or restarts = resets) a lab: copies files/ into the learner's home, clears the
 * state, runs lab.setup, setup.sh as root (cwd = home), then lab.afterSetup. Throws an
 * Error with the failing step (and setup.sh's stderr tail) when something fails.
 */
export async function startLab(lab: LoadedLab, ctx: LabContext): Promise<void> {
  const files = await collectFiles(join(lab.dir, 'files'));
  if (files.length) await ctx.sandbox.copyIn(ctx.sandbox.home, files);
  ctx.state.clear();
  try {
    await lab.logic.setup?.(ctx);
  } catch (err) {
    throw new Error(`lab "${lab.id}": setup (lab.ts) failed: ${(err as Error).message}`, { cause: err });
  }
  if (lab.setupScript) {
    await installScripts(lab, ctx, [{ path: 'setup.sh', content: await readFile(lab.setupScript) }]);
    const path = `${scriptDir(lab)}/setup.sh`;
    const r = await ctx.sandbox.exec(['bash', path], { user: 'root', cwd: ctx.sandbox.home, env: scriptEnv(lab, ctx), timeoutMs: SETUP_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      const why = r.exitCode === 124 ? `timed out after ${SETUP_TIMEOUT_MS / 1000} s` : `exited with code ${r.exitCode}`;
      throw new Error(`lab "${lab.id}": setup.sh ${why}: ${tail(r.stderr) || tail(r.stdout) || '(no output)'}`);
    }
  } else {
    await installScripts(lab, ctx, []);
  }
  try {
    await lab.logic.afterSetup?.(ctx);
  } catch (err) {
    throw new Error(`lab "${lab.id}": afterSetup (lab.ts) failed: ${(err as Error).message}`, { cause: err });
  }
}

// ------------------------------------------------------------------ check

class CheckTimeout extends Error {}

/**
 * Grades the lab: one result per criterion of lab.json (titles and `required` from there).
 * A criterion the check did not return, or every criterion when the check threw or ran past
 * lab.json's checkTimeoutMs, fails with a message saying the checker had a problem.
 */
export async function checkLab(lab: LoadedLab, ctx: LabContext): Promise<CheckResult> {
  const t0 = performance.now();
  const timeoutMs = lab.definition.checkTimeoutMs;
  let outcomes: Record<string, unknown> | undefined;
  let problem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
    });
    const result = await Promise.race([Promise.resolve().then(() => lab.logic.check(ctx)), timeout]);
    if (result && typeof result === 'object') outcomes = result as Record<string, unknown>;
    else problem = 'Проверяющий код не вернул результатов — это ошибка лабы, а не ваша. Сообщите преподавателю.';
  } catch (err) {
    problem =
      err instanceof CheckTimeout
        ? `Проверка не уложилась в ${String(Math.round(timeoutMs / 100) / 10).replace('.', ',')} с, поэтому этот пункт не проверен. Подождите, пока завершатся запущенные команды (например, docker push), и проверьте ещё раз.`
        : checkerProblemMessage(err);
  } finally {
    clearTimeout(timer);
  }

  const criteria: CriterionResult[] = lab.definition.criteria.map((c) => {
    const base = { id: c.id, title: c.title, required: c.required };
    if (problem) return { ...base, passed: false, message: problem };
    const o = outcomes?.[c.id] as { passed?: unknown; message?: unknown } | undefined;
    if (!o || typeof o !== 'object' || typeof o.passed !== 'boolean') {
      return {
        ...base,
        passed: false,
        message: `Проверяющий код не вернул результат по пункту «${c.title}» — это ошибка лабы, а не ваша. Попробуйте проверить ещё раз; если повторяется — сообщите преподавателю.`,
      };
    }
    const message = typeof o.message === 'string' && o.message.trim() ? o.message : o.passed ? 'Выполнено.' : `Пункт «${c.title}» пока не выполнен.`;
    return { ...base, passed: o.passed, message };
  });
  return {
    passed: criteria.every((c) => c.passed || !c.required),
    criteria,
    durationMs: Math.round(performance.now() - t0),
  };
}

// ------------------------------------------------------------------ solutions (tests)

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

/** Runs wrong/<name>.sh as the learner (cwd = home). Returns its result; a non-zero exit is not an error. */
export async function runWrong(lab: LoadedLab, ctx: LabContext, name: string): Promise<ExecResult> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad wrong-solution name "${name}"`);
  const p = join(lab.dir, 'wrong', `${name}.sh`);
  if (!existsSync(p)) throw new Error(`lab "${lab.id}": wrong/${name}.sh does not exist`);
  return runScriptAsLearner(lab, ctx, p, `wrong-${name}.sh`);
}
