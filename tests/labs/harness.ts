/**
 * Shared plumbing for the lab tests: a real sandbox from the runner's Docker layer
 * (runner/src/docker), a LabContext for a lab, and what makes a check message "specific".
 */
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabContext } from '../../checks/context.ts';
import { createLabState, type LoadedLab, type CheckResult } from '../../checks/engine.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { hasCyrillic, type Lang } from '../../checks/messages.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LABS_DIR = join(REPO_ROOT, 'labs');

/** A real provider with a RUNNER_ID of its own (so parallel test processes never reap each other). */
export async function createTestProvider(tag = 'labs'): Promise<SandboxProvider> {
  const { loadConfig } = await import('../../runner/src/config.ts');
  const { dockerProviderFor } = await import('../../runner/src/backends.ts');
  return dockerProviderFor(loadConfig({ ...process.env, RUNNER_ID: `${tag}-${process.pid}-${randomBytes(3).toString('hex')}`, WARM_POOL_SIZE: '0' }));
}

export function newSandboxId(): string {
  return randomBytes(16).toString('base64url');
}

export function contextFor(provider: SandboxProvider, sandboxId: string, lab: LoadedLab): LabContext {
  return { sandbox: provider.ops(sandboxId), state: createLabState(), labDir: lab.dir };
}

/**
 * Narrowing of the lab tests by the environment: LAB=id[,id...] and LAB_SKIP_WRONG=1. Under
 * CI they are refused (a CI run proves every lab); elsewhere the active ones are printed.
 */
export function labFilters(env: NodeJS.ProcessEnv = process.env): { labs: string[] | null; skipWrong: boolean } {
  const labs = env.LAB?.trim() ? env.LAB.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const skipWrong = !!env.LAB_SKIP_WRONG?.trim();
  const active = [labs && `LAB=${labs.join(',')}`, skipWrong && 'LAB_SKIP_WRONG=1'].filter(Boolean);
  if (active.length && env.CI === 'true') throw new Error(`${active.join(' ')} narrows the lab tests and is refused under CI=true`);
  if (active.length) console.log(`[labs] filter active: ${active.join(' ')} (not every lab scenario runs)`);
  return { labs, skipWrong };
}

/** Labs selected by LAB=id[,id...] (all when unset); unknown names are an error. */
export function selectLabs(labs: LoadedLab[], wantedIds: string[] | null): LoadedLab[] {
  if (!wantedIds) return labs;
  const unknown = wantedIds.filter((w) => !labs.some((l) => l.id === w));
  if (unknown.length) throw new Error(`LAB names unknown lab(s): ${unknown.join(', ')} (have: ${labs.map((l) => l.id).join(', ')})`);
  return labs.filter((l) => wantedIds.includes(l.id));
}

/** The check crashed (engine or helper wording for an exception in the checker). */
const CHECKER_CRASHED = /проверяющ\S* код|не удалось проверить|ошибка лабы/i;
/** The check ran but could not grade: registry unreachable, setup state lost, out of time. */
const NOT_GRADED = /не смогла связаться с реестром|данные подготовки лабы потеряны|не уложилась/i;
/** The engine's words when a failing criterion gave no message. */
const FALLBACK = /^Пункт «.*» пока не выполнен\.$/;

/**
 * Why a failing criterion's message is not good enough for a learner (null when it is):
 * empty, a bare "failed", the title repeated, too short to say what was found, not Russian,
 * or a message that shows the check did not grade at all (crash, unreachable registry, lost
 * state, timeout, the engine's fallback) — those would let a broken sandbox pass the tests.
 */
export function messageProblem(c: { id: string; title: string; message: string }): string | null {
  const m = c.message.trim();
  if (!m) return 'empty message';
  if (/^(failed|fail|error|не пройдено|ошибка|неверно)\.?$/i.test(m)) return `bare message "${m}"`;
  if (m === c.title.trim()) return 'the message only repeats the title';
  if (FALLBACK.test(m)) return `the engine's fallback message (the criterion gave none, so the check could not grade): "${m}"`;
  if (m.length < 25) return `message too short to be actionable: "${m}"`;
  if (!/[а-яё]/i.test(m)) return `message is not in Russian: "${m}"`;
  if (CHECKER_CRASHED.test(m)) return `the checker crashed instead of grading: "${m}"`;
  if (NOT_GRADED.test(m)) return `the check could not grade: "${m}"`;
  return null;
}

export function summarize(r: CheckResult, lang: Lang = 'ru'): string {
  return `${r.passed ? 'PASSED' : 'FAILED'} in ${r.durationMs} ms\n` + r.criteria.map((c) => `  [${c.passed ? 'x' : ' '}] ${c.id}${c.required ? '' : ' (optional)'}: ${c.messages?.[lang] ?? c.message}`).join('\n');
}

/** Labs whose answers are Russian words (the README's example: «привет»), so their English messages quote them. */
const RUSSIAN_ANSWERS = new Set(['hello']);

/**
 * Why a criterion's English message is not good enough (null when it is): missing, empty, the
 * Russian text again, or Cyrillic in it (a sentence left untranslated, or a Russian fragment
 * from a helper). Learner values are in the learner's hands; the labs' own are Latin.
 */
export function englishProblem(c: { messages?: Record<Lang, string>; passed: boolean }, labId: string): string | null {
  const en = c.messages?.en?.trim();
  if (!en) return 'no English message';
  if (en === c.messages?.ru?.trim() && hasCyrillic(en)) return `the English message is the Russian one: "${en}"`;
  if (!RUSSIAN_ANSWERS.has(labId) && hasCyrillic(en)) return `Cyrillic in the English message: "${en}"`;
  if (!c.passed && en.length < 25) return `English message too short to be actionable: "${en}"`;
  return null;
}

/** Ids of the criteria that failed, sorted. */
export function failing(r: CheckResult): string[] {
  return r.criteria.filter((c) => !c.passed).map((c) => c.id).sort();
}
