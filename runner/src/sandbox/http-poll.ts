/**
 * The HTTP half of probing a learner's image, shared by both sandbox backends: once the image
 * runs (a container on Docker, a Pod on Kubernetes), ask it over HTTP until it answers, ends or
 * runs out of time. The backend only says how to see that its container has ended.
 */
import { probeMessage as msg, type HttpProbeResult } from '../../../checks/sandbox.ts';

export interface HttpTarget {
  port: number;
  path: string;
  /** How long the program has to answer, from the first request. */
  timeoutMs: number;
}

export interface PollHttpOptions {
  /** `User` of the image config, reported with every result. */
  user: string;
  /** Pause between two attempts. */
  everyMs: number;
  /** The result to report when the container has ended (checked before every attempt); undefined while it runs. */
  ended(): Promise<HttpProbeResult | undefined>;
}

/** GETs `url` (1 s per attempt) until any HTTP answer (ok when 200), the container ends, or `target.timeoutMs` passes. */
export async function pollHttp(url: string, target: HttpTarget, opts: PollHttpOptions): Promise<HttpProbeResult> {
  const { user } = opts;
  const deadline = Date.now() + target.timeoutMs;
  let lastError = msg('probe.why-no-answer');
  while (Date.now() < deadline) {
    const ended = await opts.ended();
    if (ended) return ended;
    try {
      // A redirect is an answer like any other: never followed (it could name any address).
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1_000) });
      const body = printable(await readAtMost(res, 4096));
      return { ok: res.status === 200, status: res.status, body, user };
    } catch (err) {
      lastError = msg((err as Error).name === 'TimeoutError' ? 'probe.why-no-answer-1s' : 'probe.why-refused');
    }
    await new Promise((r) => setTimeout(r, opts.everyMs));
  }
  return { ok: false, user, error: msg('probe.no-answer', { path: target.path, port: String(target.port), seconds: Math.round(target.timeoutMs / 1000), why: lastError }) };
}

/** The result for a container that ended: its exit code and the tail of its output, printable characters only. */
export function containerEnded(exitCode: number | undefined, logs: string, user: string): HttpProbeResult {
  const tail = printableTail(logs);
  return { ok: false, user, error: msg(tail ? 'probe.exited-output' : 'probe.exited', { code: String(exitCode), tail }) };
}

/** What a message can show of a program's output: ASCII, Cyrillic, tabs and newlines. */
function printable(s: string): string {
  return s.replace(/[^\x09\x0a\x20-\x7e\u0400-\u04ff]/g, '');
}

/** The last 300 characters of `s` that a message can show. */
function printableTail(s: string): string {
  return printable(s).trim().slice(-300);
}

/** At most `max` bytes of a body (the rest is never read), as text. */
async function readAtMost(res: Response, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(c));
    size += c.length;
    if (size >= max) break;
  }
  await res.body?.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * Waits until a registry the runner started answers `/v2/` (200, or 401 behind a password) at
 * its own address; false after `timeoutMs`. Redirects are answers, never followed.
 */
export async function untilRegistryAnswers(url: string, timeoutMs: number, everyMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2_000) }).then(
      async (res) => (await res.body?.cancel(), res.status),
      () => 0,
    );
    if (status === 200 || status === 401) return true;
    await new Promise((res) => setTimeout(res, everyMs));
  }
  return false;
}
