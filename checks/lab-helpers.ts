/**
 * Small helpers for labs' lab.ts: per-criterion evaluation that turns a crash into a
 * readable failed criterion, setup-time exec that fails loudly, state access with a
 * learner-facing message when the state is gone, short digests for messages.
 */
import type { CriterionOutcome, ExecOptions, ExecResult, LabContext } from './context.ts';
import { RegistryClient, RegistryError, type RegistryAuth } from './registry-client.ts';

/** An error whose message is written for the learner (Russian); shown as is. */
export class LearnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LearnerError';
  }
}

export function pass(message: string): CriterionOutcome {
  return { passed: true, message };
}

export function fail(message: string): CriterionOutcome {
  return { passed: false, message };
}

/** Russian text for an unexpected error in a checker (not the learner's fault). */
export function checkerProblemMessage(err: unknown): string {
  if (err instanceof LearnerError) return err.message;
  if (err instanceof RegistryError && err.status === undefined) {
    return `Проверка не смогла связаться с реестром (${err.message}). Реестр песочницы не отвечает: подождите несколько секунд и проверьте ещё раз; если не помогает — нажмите «Начать заново».`;
  }
  const detail = err instanceof Error ? err.message : String(err);
  return `У проверяющего кода возникла проблема, и этот пункт не удалось проверить (${detail.slice(0, 300)}). Это не ваша ошибка: попробуйте проверить ещё раз; если повторяется — перезапустите лабу кнопкой «Начать заново».`;
}

/**
 * Evaluates criteria independently (in parallel): a criterion whose function throws becomes a
 * failed criterion with a message saying the checker had a problem (LearnerError messages are
 * shown as is), so one crash never hides the other results.
 */
export async function evaluate<K extends string>(fns: Record<K, () => Promise<CriterionOutcome> | CriterionOutcome>): Promise<Record<K, CriterionOutcome>> {
  const keys = Object.keys(fns) as K[];
  const results = await Promise.all(
    keys.map(async (k) => {
      try {
        return await fns[k]();
      } catch (err) {
        return fail(checkerProblemMessage(err));
      }
    }),
  );
  return Object.fromEntries(keys.map((k, i) => [k, results[i]])) as Record<K, CriterionOutcome>;
}

/** Reads a value setup recorded; a LearnerError telling to restart the lab when it is gone. */
export function requireState<T>(ctx: LabContext, key: string): T {
  const v = ctx.state.get<T>(key);
  if (v === undefined || v === null) {
    throw new LearnerError('Проверка не знает, с чем сравнивать: данные подготовки лабы потеряны (например, сервер перезапускался). Нажмите «Начать заново», чтобы лаба подготовилась снова, и повторите задание.');
  }
  return v;
}

function tail(s: string, n = 1500): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(-n) : t;
}

/** Runs a command in the workstation (root by default) and throws with the stderr tail when it fails. */
export async function execOrThrow(ctx: LabContext, cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await ctx.sandbox.exec(cmd, { user: 'root', ...opts });
  if (r.exitCode !== 0) {
    const shown = Array.isArray(cmd) ? cmd.join(' ') : cmd;
    throw new Error(`command failed (exit ${r.exitCode}${r.exitCode === 124 ? ', timed out' : ''}): ${shown.slice(0, 200)}\n${tail(r.stderr || r.stdout)}`);
  }
  return r;
}

/**
 * Image ID (= config digest with the classic image store) of an image in the workstation's
 * engine, as root. Use at setup time only: at check time the learner's engine is theirs.
 */
export async function localImageId(ctx: LabContext, ref: string): Promise<string | null> {
  const r = await ctx.sandbox.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref], { user: 'root', timeoutMs: 20_000 });
  if (r.exitCode !== 0) return null;
  const id = r.stdout.trim();
  return /^sha256:[a-f0-9]{64}$/.test(id) ? id : null;
}

/** A client for the session's registry on `localhost:<port>` (5000 by default). */
export function sessionRegistry(ctx: LabContext, port = 5000, auth?: RegistryAuth): RegistryClient {
  return new RegistryClient(ctx.sandbox.registryUrl(port), auth, { timeoutMs: 4_000, blobTimeoutMs: 30_000 });
}

/** `sha256:0123456789ab…` for messages. */
export function shortDigest(d: string | undefined | null): string {
  if (!d) return '(нет)';
  const [alg, hex] = d.split(':');
  return hex ? `${alg}:${hex.slice(0, 12)}…` : d;
}

/** Russian plural: plural(3, 'тег', 'тега', 'тегов'). */
export function plural(n: number, one: string, few: string, many: string): string {
  const m10 = n % 10;
  const m100 = n % 100;
  if (m10 === 1 && m100 !== 11) return one;
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
  return many;
}

/** `a, b и c` with code quotes for messages. */
export function listCode(items: string[]): string {
  const q = items;
  if (q.length <= 1) return q.join('');
  return q.slice(0, -1).join(', ') + ' и ' + q[q.length - 1];
}

function simplifyName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Repositories (other than `repo`) whose name looks like it — `myapi`, `learner/my-api`,
 * `my_api` for `my-api` — with their tags (only those that have tags). For messages that
 * say "you pushed it under another name", and for resetting such leftovers.
 */
export async function findSimilarRepos(client: RegistryClient, repo: string, limit = 5): Promise<Array<{ repo: string; tags: string[] }>> {
  const key = simplifyName(repo.split('/').pop() ?? repo);
  const fullKey = simplifyName(repo);
  const names = (await client.catalog()).filter((r) => r !== repo && (simplifyName(r).includes(key) || simplifyName(r) === fullKey));
  const out: Array<{ repo: string; tags: string[] }> = [];
  for (const r of names.slice(0, 20)) {
    const tags = await client.listTags(r);
    if (tags.length) out.push({ repo: r, tags: tags.sort() });
    if (out.length >= limit) break;
  }
  return out;
}

/** `repo:a, repo:b` for messages (at most `max` tags). */
export function refsList(repo: string, tags: string[], max = 5): string {
  const shown = tags.slice(0, max).map((t) => `${repo}:${t}`);
  return shown.join(', ') + (tags.length > max ? ` и ещё ${tags.length - max}` : '');
}

/** Lazily computed, shared value (several criteria need the same registry answer). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}
