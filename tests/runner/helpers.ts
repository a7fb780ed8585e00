/** Helpers shared by the runner tests (unit and integration) and the bench. */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { WebSocket } from 'ws';

export function uniqueRunnerId(prefix = 't'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function api(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body: body as BodyInit | undefined });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** An upgrade attempt that is expected to be refused: the HTTP status and JSON body. */
export function rawUpgrade(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: null });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Term {
  ws: WebSocket;
  /** All output so far (utf8). */
  output(): string;
  /** Output bytes received so far. */
  bytes(): number;
  events: any[];
  send(input: string | Buffer): void;
  control(msg: unknown): void;
  /** Waits until the output (since `from`, a character offset) matches. */
  waitFor(re: RegExp | string, timeoutMs?: number, from?: number): Promise<string>;
  waitEvent(type: string, timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function wsUrl(base: string, id: string, token: string, extra = ''): string {
  return `${base.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${encodeURIComponent(token)}${extra}`;
}

export function openTerminal(base: string, id: string, token: string, opts: { origin?: string; extra?: string; maxPayload?: number } = {}): Promise<Term> {
  return openSocket(wsUrl(base, id, token, opts.extra ?? ''), opts);
}

/** Any of the runner's terminal-like WebSockets (a learner terminal, an instructor's shadow) at this ws:// URL. */
export function openSocket(url: string, opts: { origin?: string; maxPayload?: number } = {}): Promise<Term> {
  const ws = new WebSocket(url, { origin: opts.origin, maxPayload: opts.maxPayload ?? 256 * 1024 * 1024 });
  let out = '';
  let nbytes = 0;
  const events: any[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      notify();
    });
  });
  ws.on('message', (data, isBinary) => {
    const buf = data as Buffer;
    if (isBinary) {
      nbytes += buf.length;
      out += buf.toString('utf8');
    } else {
      try {
        events.push(JSON.parse(buf.toString()));
      } catch {
        events.push(buf.toString());
      }
    }
    notify();
  });
  const term: Term = {
    ws,
    output: () => out,
    bytes: () => nbytes,
    events,
    send: (input) => ws.send(typeof input === 'string' ? Buffer.from(input) : input, { binary: true }),
    control: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    waitFor(re, timeoutMs = 30_000, from = 0) {
      const test = () => {
        const s = out.slice(from);
        return typeof re === 'string' ? s.includes(re) : re.test(s);
      };
      return waitUntil(test, timeoutMs, () => `output to match ${re}; got: ${JSON.stringify(out.slice(-500))}`).then(() => out.slice(from));
    },
    waitEvent(type, timeoutMs = 30_000) {
      return waitUntil(() => events.some((e) => e?.type === type), timeoutMs, () => `event ${type}; got ${JSON.stringify(events)}`).then(() =>
        events.find((e) => e?.type === type),
      );
    },
    closed,
    close: () => ws.close(),
  };
  function waitUntil(test: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        } else if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`terminal closed while waiting for ${what()}`));
        }
      };
      waiters.add(check);
    });
  }
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(term));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export { sleep } from '../support/wait.ts';
