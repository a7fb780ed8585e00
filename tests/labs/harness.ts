/**
 * Shared plumbing for the lab tests: a real sandbox from the runner's Docker layer
 * (runner/src/docker), a LabContext for a lab, and what makes a check message "specific".
 */
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabContext } from '../../checks/context.ts';
import { createLabState, type LoadedLab, type CheckResult } from '../../checks/engine.ts';
import type { SandboxProvider } from '../../runner/src/docker/provider.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LABS_DIR = join(REPO_ROOT, 'labs');

/** A real provider with a RUNNER_ID of its own (so parallel test processes never reap each other). */
export async function createTestProvider(tag = 'labs'): Promise<SandboxProvider> {
  const { loadConfig } = await import('../../runner/src/config.ts');
  const { dockerProviderFor } = await import('../../runner/src/app.ts');
  return dockerProviderFor(loadConfig({ ...process.env, RUNNER_ID: `${tag}-${process.pid}-${randomBytes(3).toString('hex')}`, WARM_POOL_SIZE: '0' }));
}

export function newSandboxId(): string {
  return randomBytes(16).toString('base64url');
}

export function contextFor(provider: SandboxProvider, sandboxId: string, lab: LoadedLab): LabContext {
  return { sandbox: provider.ops(sandboxId), state: createLabState(), labDir: lab.dir };
}

/** Labs selected by LAB=id[,id...] (all when unset). */
export function selectLabs(labs: LoadedLab[], filter = process.env.LAB): LoadedLab[] {
  if (!filter?.trim()) return labs;
  const wanted = new Set(filter.split(',').map((s) => s.trim()).filter(Boolean));
  const unknown = [...wanted].filter((w) => !labs.some((l) => l.id === w));
  if (unknown.length) throw new Error(`LAB names unknown lab(s): ${unknown.join(', ')} (have: ${labs.map((l) => l.id).join(', ')})`);
  return labs.filter((l) => wanted.has(l.id));
}

const CHECKER_PROBLEM = /проверяющ\S* код|не удалось проверить|не уложилась|ошибка лабы/i;

/**
 * Why a failing criterion's message is not good enough for a learner (null when it is):
 * empty, a bare "failed", the title repeated, too short to say what was found, or the
 * engine's "the checker had a problem" fallback (the check crashed instead of grading).
 */
export function messageProblem(c: { id: string; title: string; message: string }): string | null {
  const m = c.message.trim();
  if (!m) return 'empty message';
  if (/^(failed|fail|error|не пройдено|ошибка|неверно)\.?$/i.test(m)) return `bare message "${m}"`;
  if (m === c.title.trim()) return 'the message only repeats the title';
  if (m.length < 25) return `message too short to be actionable: "${m}"`;
  if (!/[а-яё]/i.test(m)) return `message is not in Russian: "${m}"`;
  if (CHECKER_PROBLEM.test(m)) return `the checker crashed instead of grading: "${m}"`;
  return null;
}

export function summarize(r: CheckResult): string {
  return `${r.passed ? 'PASSED' : 'FAILED'} in ${r.durationMs} ms\n` + r.criteria.map((c) => `  [${c.passed ? 'x' : ' '}] ${c.id}${c.required ? '' : ' (optional)'}: ${c.message}`).join('\n');
}
