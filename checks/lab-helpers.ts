/**
 * The named common steps of labs' lab.ts: outcomes (pass/fail), the checker-problem message,
 * state access with a learner-facing message when the state is gone, recording an image id,
 * reading a state file setup.sh left, dropping this lab's tags safely, short digests.
 */
import type { CriterionOutcome, ExecOptions, ExecResult, LabContext } from './context.ts';
import { msg, type Message, type Param } from './messages.ts';
import { RegistryClient, RegistryError, type RegistryAuth } from './registry-client.ts';

export { msg, type Message } from './messages.ts';

/** An error that carries a message for the learner (a catalogue key); shown as is. */
export class LearnerError extends Error {
  readonly learnerMessage: Message;
  constructor(key: string, params?: Record<string, Param>) {
    super(key);
    this.name = 'LearnerError';
    this.learnerMessage = msg(key, params);
  }
}

/** Passed, with the message `key` of labs/<id>/messages.{ru,en}.json (checks/README.md). */
export function pass(key: string, params?: Record<string, Param>): CriterionOutcome {
  return { passed: true, message: msg(key, params) };
}

/** Failed, with the message `key` of labs/<id>/messages.{ru,en}.json (checks/README.md). */
export function fail(key: string, params?: Record<string, Param>): CriterionOutcome {
  return { passed: false, message: msg(key, params) };
}

/** The learner's message for an unexpected error in a checker (not the learner's fault). */
export function checkerProblemMessage(err: unknown): Message {
  if (err instanceof LearnerError) return err.learnerMessage;
  // A RegistryError's message is the client's own sentence (English, technical); what the
  // registry said is in its `detail` (and `cause`), which are for logs only and never shown here.
  if (err instanceof RegistryError && err.status === undefined) return msg('check.registry-unreachable', { detail: err.message });
  const detail = err instanceof Error ? err.message : String(err);
  return msg('check.problem', { detail: detail.slice(0, 300) });
}

/** Reads a value setup recorded; a LearnerError telling to restart the lab when it is gone. */
export function requireState<T>(ctx: LabContext, key: string): T {
  const v = ctx.state.get<T>(key);
  if (v === undefined || v === null) {
    throw new LearnerError('check.state-lost');
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

/** `sha256:0123456789ab…` for messages ("(none)" in the language when there is none). */
export function shortDigest(d: string | undefined | null): string | Message {
  if (!d) return msg('common.none');
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

/** `repo:a, repo:b` for messages (at most `max` tags, then "and N more" in the language). */
export function refsList(repo: string, tags: string[], max = 5): Message {
  const refs = tags.slice(0, max).map((t) => `${repo}:${t}`);
  return tags.length > max ? msg('common.refs-more', { refs, more: tags.length - max }) : msg('common.refs', { refs });
}

/** Lazily computed, shared value (several criteria need the same registry answer). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/** record: the image id of `ref` in the workstation's engine, kept as state `key`; throws if setup.sh made no such image. */
export async function recordImageId(ctx: LabContext, key: string, ref: string): Promise<string> {
  const id = await localImageId(ctx, ref);
  if (!id) throw new Error(`setup.sh did not produce ${ref}`);
  ctx.state.set(key, id);
  return id;
}

/**
 * record: a JSON file setup.sh wrote for the runner (e.g. digests only the script knows),
 * parsed and then removed from the workstation. Throws when it is missing or not JSON.
 */
export async function readStateFile<T>(ctx: LabContext, path: string): Promise<T> {
  const raw = await ctx.sandbox.readFile(path, 64 * 1024);
  if (!raw) throw new Error(`setup.sh left no ${path}`);
  await ctx.sandbox.exec(['rm', '-f', path], { user: 'root', timeoutMs: 5_000 });
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * reset: deletes from `repo` the manifests this lab's tags point at (`isLabTag`), except
 * those a tag of another lab also names (registry:2 deletes a manifest with all its tags,
 * and labs share repositories such as shop/api). Returns the deleted digests.
 */
export async function dropLabTags(registry: RegistryClient, repo: string, isLabTag: (tag: string) => boolean): Promise<string[]> {
  const digests = new Map<string, string>();
  for (const t of await registry.listTags(repo)) {
    const d = await registry.headManifest(repo, t);
    if (d) digests.set(t, d);
  }
  const keep = new Set([...digests].filter(([t]) => !isLabTag(t)).map(([, d]) => d));
  const drop = new Set([...digests].filter(([t, d]) => isLabTag(t) && !keep.has(d)).map(([, d]) => d));
  const deleted: string[] = [];
  for (const d of drop) if (await registry.deleteManifest(repo, d)) deleted.push(d);
  return deleted;
}
