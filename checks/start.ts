/**
 * Starting (= resetting) a lab, in the engine's order: files/ copied into the learner's home →
 * state cleared → spec.reset → setup.sh as root → spec.record. Also the script plumbing the
 * reference and wrong solutions share (solutions.ts).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileToCopy, LabContext } from './context.ts';
import type { LoadedLab } from './load.ts';

/** Where the engine puts lab scripts and the shared shell library inside the workstation. */
export const SANDBOX_ROOT = '/opt/registry-lab';
export const SANDBOX_LIB_DIR = `${SANDBOX_ROOT}/lib`;
/** Shell library copied into every workstation on start (checks/sandbox-lib/*.sh). */
const LIB_SOURCE_DIR = fileURLToPath(new URL('./sandbox-lib/', import.meta.url));

const SETUP_TIMEOUT_MS = 5 * 60_000;

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

export function tail(s: string, n = 2000): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(-n) : t;
}

export function scriptDir(lab: LoadedLab): string {
  return `${SANDBOX_ROOT}/labs/${lab.id}`;
}

/** Copies the shared shell library and the given lab scripts into the workstation. */
export async function installScripts(lab: LoadedLab, ctx: LabContext, scripts: Array<{ path: string; content: Buffer }>): Promise<void> {
  const lib = await collectFiles(LIB_SOURCE_DIR);
  const files: FileToCopy[] = [
    ...lib.map((f) => ({ ...f, path: `lib/${f.path}` })),
    ...scripts.map((s) => ({ path: `labs/${lab.id}/${s.path}`, content: s.content, mode: 0o755 })),
  ];
  await ctx.sandbox.copyIn(SANDBOX_ROOT, files);
}

export function scriptEnv(lab: LoadedLab, ctx: LabContext): Record<string, string> {
  return {
    LAB_ID: lab.id,
    LEARNER: 'learner',
    LEARNER_HOME: ctx.sandbox.home,
    REGISTRY_LAB_LIB: SANDBOX_LIB_DIR,
    BASH_ENV: `${SANDBOX_LIB_DIR}/errtrap.sh`,
  };
}

async function step(lab: LoadedLab, name: string, fn: () => Promise<void> | undefined): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new Error(`lab "${lab.id}": ${name} (lab.ts) failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Starts (or restarts = resets) a lab. Throws an Error naming the lab and the failing step
 * (for setup.sh with its stderr tail).
 */
export async function startLab(lab: LoadedLab, ctx: LabContext): Promise<void> {
  const files = await collectFiles(join(lab.dir, 'files'));
  if (files.length) await ctx.sandbox.copyIn(ctx.sandbox.home, files);
  ctx.state.clear();
  await step(lab, 'reset', () => lab.spec.reset?.(ctx));
  const scripts = lab.setupScript ? [{ path: 'setup.sh', content: await readFile(lab.setupScript) }] : [];
  await installScripts(lab, ctx, scripts);
  if (lab.setupScript) {
    const path = `${scriptDir(lab)}/setup.sh`;
    const r = await ctx.sandbox.exec(['bash', path], { user: 'root', cwd: ctx.sandbox.home, env: scriptEnv(lab, ctx), timeoutMs: SETUP_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      const why = r.exitCode === 124 ? `timed out after ${SETUP_TIMEOUT_MS / 1000} s` : `exited with code ${r.exitCode}`;
      throw new Error(`lab "${lab.id}": setup.sh ${why}: ${tail(r.stderr) || tail(r.stdout) || '(no output)'}`);
    }
  }
  await step(lab, 'record', () => lab.spec.record?.(ctx));
}
