/**
 * The learner's sandbox session, shared by every terminal and lab panel of every page.
 * {id, token} live in localStorage; a stored session that the runner no longer knows
 * (404, 401, state "stopped") is replaced by a new one. Talks to the runner API
 * (API.md, the runner's public API contract shared with clients) on the site's own origin.
 */
export const SESSION_KEY = 'registry-lab:session:v1';

export interface WorkshopRef {
  id: string;
  title: string;
  /** the join code as the runner formats it (ABC-DEF) */
  code?: string;
}
export interface SessionRef {
  id: string;
  token: string;
  expiresAt?: string;
  /** set when the session was made by joining a workshop (site/src/lib/workshop-join.ts) */
  workshop?: WorkshopRef;
  /** the learner's display name in that workshop */
  name?: string;
}
export interface SessionInfo extends SessionRef {
  state: 'starting' | 'ready' | 'stopped';
  /** true when this call created a new session because the stored one was gone */
  renewed: boolean;
}

/** The site is served without a runner (static hosting), or the runner is down. */
export class RunnerUnavailableError extends Error {
  constructor(message = 'runner unavailable') {
    super(message);
    this.name = 'RunnerUnavailableError';
  }
}

/** The runner took longer than the call's own bound (it may still finish what was asked). */
export class RequestTimeoutError extends Error {
  constructor(message = 'no answer in time') {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** An error worth trying again by itself: the runner unreachable (or the network changed), busy, or failing. */
export function isTransient(e: unknown): boolean {
  return e instanceof RunnerUnavailableError || e instanceof RequestTimeoutError || (e instanceof ApiError && (e.status >= 500 || e.status === 429));
}

/** A learner-facing sentence for an error, from the component's UI table. */
export function describeError(e: unknown, ui: Record<string, string>): string {
  if (e instanceof RunnerUnavailableError) return ui['term.unavailable'] ?? e.message;
  if (e instanceof RequestTimeoutError) return ui['term.timeout'] ?? e.message;
  // The runner's messages are English; its error codes have sentences in the UI table.
  const byCode = e instanceof ApiError ? ui[`err.${e.code}`] : undefined;
  if (byCode) return byCode.replace('{msg}', (e as Error).message);
  if (e instanceof ApiError && e.status === 503) return ui['term.busy'] ?? e.message;
  if (e instanceof ApiError && e.status === 429) return ui['term.limit'] ?? e.message;
  return (ui['term.error'] ?? 'Error: {msg}').replace('{msg}', (e as Error).message);
}

/**
 * Where the browser refuses storage (an LMS iframe with third-party storage blocked), the
 * session lasts as long as the page: an LTI launch (runner/src/lti/pages.ts) then hands it over
 * as `#rl-session=<json>`, taken out of the address at once.
 */
let pageSession: SessionRef | null = null;

const validRef = (s: unknown): s is SessionRef => !!s && typeof (s as SessionRef).id === 'string' && typeof (s as SessionRef).token === 'string';

/** Adopts a session handed over in the fragment (`#rl-session=`); true when one was. */
export function adoptSessionFromFragment(loc: Location = location, hist: History = history): boolean {
  const m = /(?:^#|&)rl-session=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  hist.replaceState(hist.state, '', loc.pathname + loc.search);
  try {
    const s = JSON.parse(decodeURIComponent(m[1]!)) as unknown;
    if (!validRef(s)) return false;
    storeSession(s);
    return true;
  } catch {
    return false;
  }
}
try {
  if (typeof location !== 'undefined' && location.hash.includes('rl-session=')) adoptSessionFromFragment();
} catch {
  /* not a browser */
}

export function storedSession(): SessionRef | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    const s = raw ? (JSON.parse(raw) as SessionRef) : null;
    return validRef(s) ? s : pageSession;
  } catch {
    return pageSession;
  }
}

export function storeSession(s: SessionRef | null) {
  pageSession = s;
  try {
    if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    /* storage refused: pageSession keeps it for this page */
  }
}

/** fetch + JSON with the API's error shape; anything that is not the runner → RunnerUnavailableError. */
export async function api<T>(path: string, init: RequestInit & { token?: string; timeoutMs?: number } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, init.timeoutMs ?? 30_000);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, signal: ctrl.signal });
  } catch (e) {
    // Our own bound is not "no runner here": the runner answered nothing in time.
    if (timedOut) throw new RequestTimeoutError();
    throw new RunnerUnavailableError((e as Error).message);
  } finally {
    clearTimeout(timer);
  }
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('application/json')) {
    // A static server answers /api/* with an HTML 404 page or 405: no runner behind this site.
    if (res.status === 204) return undefined as T;
    throw new RunnerUnavailableError(`HTTP ${res.status} without JSON`);
  }
  const body = (await res.json()) as any;
  if (!res.ok) {
    throw new ApiError(res.status, body?.error?.code ?? 'error', body?.error?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

/**
 * The page's language (the <html lang> Starlight sets: `ru` at the root, `en` under /en/): the
 * runner answers check messages and quiz explanations in the session's language (issue 20,
 * docs/api-extensions.md), so sessions are created with it and switched when it changes.
 */
export function pageLang(): 'ru' | 'en' {
  try {
    return /^en\b/i.test(document.documentElement.lang) ? 'en' : 'ru';
  } catch {
    return 'ru';
  }
}

/** The session follows the page's language (PATCH /api/sessions/:id); a runner without it is left as it is. */
async function followPageLang(s: SessionRef, current: string | undefined): Promise<void> {
  const lang = pageLang();
  if (current === lang) return;
  await api(`/api/sessions/${encodeURIComponent(s.id)}`, { method: 'PATCH', token: s.token, body: JSON.stringify({ lang }) }).catch(() => undefined);
}

let pending: Promise<SessionInfo> | null = null;

/** Stop reasons after which the runner can give the same session a new sandbox. */
const RECREATABLE = ['vanished', 'died', 'failed'];

async function createSession(renewed: boolean): Promise<SessionInfo> {
  const s = await api<{ id: string; token: string; expiresAt: string }>('/api/sessions', {
    method: 'POST',
    body: JSON.stringify({ lang: pageLang() }),
  });
  storeSession({ id: s.id, token: s.token, expiresAt: s.expiresAt });
  return { ...s, state: 'starting', renewed };
}

async function resumeOrCreate(): Promise<SessionInfo> {
  const stored = storedSession();
  if (stored) {
    try {
      const s = await api<{ id: string; state: SessionInfo['state']; expiresAt: string; stopReason?: string; workshop?: WorkshopRef | null; lang?: string }>(
        `/api/sessions/${encodeURIComponent(stored.id)}`,
        { token: stored.token },
      );
      await followPageLang(stored, s.lang);
      if (s.state !== 'stopped') {
        storeSession({ ...stored, expiresAt: s.expiresAt, ...(s.workshop ? { workshop: { ...stored.workshop, ...s.workshop } } : {}) });
        return { ...stored, state: s.state, expiresAt: s.expiresAt, renewed: false };
      }
      // The sandbox died or vanished (docs/api-extensions.md): a fresh one for the same session keeps
      // the server's progress; 409 not_recreatable means the session itself is over.
      if (s.stopReason && RECREATABLE.includes(s.stopReason)) {
        const r = await api<{ state: SessionInfo['state']; expiresAt: string }>(
          `/api/sessions/${encodeURIComponent(stored.id)}/recreate`,
          { method: 'POST', token: stored.token },
        ).catch((e) => {
          if (e instanceof ApiError && e.status === 409) return null;
          throw e;
        });
        if (r) {
          storeSession({ ...stored, expiresAt: r.expiresAt });
          return { ...stored, state: r.state, expiresAt: r.expiresAt, renewed: true };
        }
      }
    } catch (e) {
      if (!(e instanceof ApiError) || ![401, 403, 404].includes(e.status)) throw e;
    }
    storeSession(null);
    return createSession(true);
  }
  return createSession(false);
}

/** Forget the shared answer: after joining a workshop stored a new session, and before a terminal reconnects (it must ask the runner). */
export function dropPendingSession() {
  pending = null;
}

/** The current session, created when needed. Concurrent callers share one request. */
export function ensureSession(opts: { fresh?: boolean } = {}): Promise<SessionInfo> {
  if (opts.fresh) {
    storeSession(null);
    pending = null;
  }
  if (!pending) {
    pending = resumeOrCreate().finally(() => {
      // Keep the answer briefly so every component of one page uses the same call.
      setTimeout(() => (pending = null), 2000);
    });
  }
  return pending;
}

/** Poll until the sandbox is ready (or the timeout passes). */
export async function waitReady(s: SessionRef, onState?: (state: string) => void, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let delay = 500;
  for (;;) {
    const info = await api<{ state: SessionInfo['state']; expiresAt: string }>(
      `/api/sessions/${encodeURIComponent(s.id)}`,
      { token: s.token },
    );
    onState?.(info.state);
    if (info.state === 'ready') return;
    if (info.state === 'stopped') throw new ApiError(404, 'stopped', 'session stopped');
    if (Date.now() > until) throw new Error('the sandbox did not become ready in time');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 3000);
  }
}

export async function extendSession(s: SessionRef): Promise<string> {
  const r = await api<{ expiresAt: string }>(`/api/sessions/${encodeURIComponent(s.id)}/extend`, {
    method: 'POST',
    token: s.token,
    body: JSON.stringify({}),
  });
  storeSession({ ...s, expiresAt: r.expiresAt });
  window.dispatchEvent(new CustomEvent('rl-session-extended', { detail: r.expiresAt }));
  return r.expiresAt;
}

/** WebSocket URL of a new shell; `size` (the runner's extension) opens the pty at the fitted size. */
export function terminalUrl(s: SessionRef, size?: { cols: number; rows: number }): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const dims = size && size.cols > 0 && size.rows > 0 ? `&cols=${size.cols}&rows=${size.rows}` : '';
  return `${proto}//${location.host}/api/sessions/${encodeURIComponent(s.id)}/terminal?token=${encodeURIComponent(s.token)}${dims}`;
}

export interface CheckResult {
  lab: string;
  passed: boolean;
  criteria: Array<{ id: string; title: string; passed: boolean; message: string }>;
  durationMs: number;
}

/**
 * How long a lab start may take before the page stops waiting: the runner lets a room's shells
 * go first (up to 2 minutes, docs/api-extensions.md) and bounds a lab's setup at 5 minutes.
 */
export const LAB_START_TIMEOUT_MS = 8 * 60_000;

export function startLab(s: SessionRef, lab: string) {
  return api<{ lab: string; ready: boolean }>(
    `/api/sessions/${encodeURIComponent(s.id)}/labs/${encodeURIComponent(lab)}/start`,
    { method: 'POST', token: s.token, body: JSON.stringify({}), timeoutMs: LAB_START_TIMEOUT_MS },
  );
}

export function checkLab(s: SessionRef, lab: string) {
  return api<CheckResult>(`/api/sessions/${encodeURIComponent(s.id)}/labs/${encodeURIComponent(lab)}/check`, {
    method: 'POST',
    token: s.token,
    body: JSON.stringify({}),
    timeoutMs: 120_000,
  });
}
