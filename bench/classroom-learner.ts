/**
 * One learner of `npm run bench:classroom`: joins the workshop by its code, opens a terminal,
 * and for each lab starts it, TYPES the commands of the lab's solve.sh into the shell (key by
 * key, as a person pastes nothing), then asks for a check. Everything it measures is returned;
 * every failure is counted, never thrown past the caller.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FLOW, encodeMessage, parseServerEvent, type ServerEvent } from '../protocol/terminal.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The top-level commands of a solve.sh: no shebang, comments, `set` or blank lines; a multi-line block stays one command. */
export function solveCommands(labsDir: string, lab: string): string[][] {
  const lines = readFileSync(join(labsDir, lab, 'solve.sh'), 'utf8')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() && !l.trim().startsWith('#') && !/^set\s+-/.test(l.trim()));
  const out: string[][] = [];
  let block: string[] = [];
  let depth = 0;
  for (const l of lines) {
    const t = l.trim();
    if (/^(for|while|until|if|case)\b/.test(t)) depth++;
    if (/^(done|fi|esac)\b/.test(t)) depth--;
    block.push(t);
    if (depth <= 0) {
      out.push(block);
      block = [];
      depth = 0;
    }
  }
  if (block.length) out.push(block);
  return out;
}

export interface LearnerResult {
  name: string;
  session?: string;
  /** The session's token (for the help phase, bench/classroom-help.ts; never written to the report). */
  token?: string;
  /** POST /api/sessions (join) -> the shell answered a first command. */
  joinToReadyMs?: number;
  checks: { lab: string; ms: number; passed: boolean; answeredAt: number; startedAt: number }[];
  errors: string[];
  /** When the join was sent (epoch ms). */
  joinedAt?: number;
  /**
   * What the terminal showed while the cold start waited for a slot (`status` events with
   * `queue`), each with when it came (ms after the join). Empty: the start never waited.
   */
  queueShown: { atMs: number; position: number; estimateMs: number }[];
}

export interface LearnerPlan {
  url: string;
  code: string;
  name: string;
  labs: string[];
  commands: Map<string, string[][]>;
  /** Gap between keystrokes (ms). */
  keyGapMs: number;
  timeoutMs: number;
}

async function api(url: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** A terminal client that acknowledges output as the site does (flow control on). */
class Terminal {
  private tail = '';
  private waiters = new Set<() => void>();
  readonly events: ServerEvent[] = [];
  /** performance.now() of each event in `events`. */
  readonly eventTimes: number[] = [];
  private unacked = 0;
  readonly ws: WebSocket;
  /** How the socket closed (for the error report). */
  closedWith = '';
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d, bin) => {
      const buf = d as Buffer;
      if (!bin) {
        const e = parseServerEvent(buf.toString());
        if (e) {
          this.events.push(e);
          this.eventTimes.push(performance.now());
        }
      } else {
        this.tail = (this.tail + buf.toString('utf8')).slice(-16_384);
        this.unacked += buf.length;
        if (this.unacked >= FLOW.ackEveryBytes) {
          this.ws.send(encodeMessage({ type: 'ack', bytes: this.unacked }));
          this.unacked = 0;
        }
      }
      for (const w of [...this.waiters]) w();
    });
    this.ws.on('close', (code, reason) => {
      const err = this.events.filter((e) => e.type === 'error' || e.type === 'ended').at(-1);
      this.closedWith = `close ${code}${reason.length ? ` ${reason.toString()}` : ''}${err ? ` after ${JSON.stringify(err)}` : ''}`;
      for (const w of [...this.waiters]) w();
    });
    this.ws.on('error', () => {});
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }
  until<T>(test: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = test();
        if (v) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(v);
        } else if (this.ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          this.waiters.delete(check);
          reject(new Error(`terminal closed while waiting for ${what} (${this.closedWith})`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timeout waiting for ${what}; tail ${JSON.stringify(this.tail.slice(-160))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
  async type(text: string, gapMs: number) {
    for (const ch of text) {
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error('terminal closed while typing');
      this.ws.send(Buffer.from(ch), { binary: true });
      if (gapMs) await sleep(gapMs);
    }
  }
  /** Types a command (one or more lines), then a marker line; resolves with the command's exit code. */
  private seq = 0;
  async run(lines: string[], gapMs: number, timeoutMs: number): Promise<number> {
    const tag = `__CL${++this.seq}_`;
    for (const l of lines) await this.type(`${l}\r`, gapMs);
    this.ws.send(Buffer.from(`echo "${tag}$?__"\r`), { binary: true });
    const re = new RegExp(`${tag}(\\d+)__`);
    const m = await this.until(() => re.exec(this.tail) ?? undefined, timeoutMs, `${lines[0]} to finish`);
    return Number(m[1]);
  }
  close() {
    this.ws.close();
  }
}

export async function runLearner(p: LearnerPlan): Promise<LearnerResult> {
  const r: LearnerResult = { name: p.name, checks: [], errors: [], queueShown: [] };
  let term: Terminal | null = null;
  let t0 = performance.now();
  try {
    r.joinedAt = Date.now();
    t0 = performance.now();
    const join = await api(p.url, 'POST', '/api/sessions', undefined, { workshop: p.code, name: p.name });
    if (join.status !== 201) throw new Error(`join ${join.status} ${join.text.slice(0, 200)}`);
    const { id, token } = join.json as { id: string; token: string };
    r.session = id;
    r.token = token;
    term = new Terminal(`${p.url.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${encodeURIComponent(token)}`);
    await term.opened();
    term.ws.send(encodeMessage({ type: 'ack', bytes: 0 }));
    const t = term;
    await t.until(() => t.events.some((e) => e.type === 'ready'), p.timeoutMs, 'ready');
    await t.run(['true'], 0, p.timeoutMs);
    r.joinToReadyMs = performance.now() - t0;
    for (const lab of p.labs) {
      const started = await api(p.url, 'POST', `/api/sessions/${id}/labs/${lab}/start`, token);
      if (started.status !== 200) throw new Error(`start ${lab}: ${started.status} ${started.text.slice(0, 200)}`);
      for (const cmd of p.commands.get(lab) ?? []) {
        const code = await t.run(cmd, p.keyGapMs, p.timeoutMs);
        if (code !== 0) r.errors.push(`${lab}: \`${cmd[0]}\` exited ${code}`);
      }
      const startedAt = Date.now();
      const c0 = performance.now();
      const check = await api(p.url, 'POST', `/api/sessions/${id}/labs/${lab}/check`, token);
      const ms = performance.now() - c0;
      const answeredAt = Date.now();
      if (check.status !== 200) throw new Error(`check ${lab}: ${check.status} ${check.text.slice(0, 200)}`);
      r.checks.push({ lab, ms, passed: check.json.passed === true, answeredAt, startedAt });
      if (check.json.passed !== true) {
        const failed = (check.json.criteria as { id: string; passed: boolean }[]).filter((c) => !c.passed).map((c) => c.id);
        r.errors.push(`${lab}: check did not pass (${failed.join(', ')})`);
      }
    }
  } catch (err) {
    r.errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    if (term) {
      for (const [i, e] of term.events.entries()) {
        if (e.type === 'status' && e.queue) r.queueShown.push({ atMs: Math.round(term.eventTimes[i]! - t0), position: e.queue.position, estimateMs: e.queue.estimateMs });
      }
    }
    term?.close();
  }
  return r;
}
