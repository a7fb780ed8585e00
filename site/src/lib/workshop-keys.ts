/**
 * Where the instructor's secrets live in the browser. The operator token (it creates and lists
 * workshops) stays in localStorage until "forget"; a workshop's key handed over as
 * `#key=...` is moved to sessionStorage and removed from the address bar at once, so it never
 * appears in a URL this page shows, shares or sends.
 */
export const OPERATOR_KEY = 'registry-lab:operator-token:v1';
const ROOM_KEYS = 'registry-lab:workshop-keys:v1';
const SESSION_PREFIX = 'registry-lab:workshop-key:';

function read(store: Storage | undefined, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
function write(store: Storage | undefined, key: string, value: string | null) {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    /* private mode: the key lasts as long as the page */
  }
}

export const operatorToken = () => read(globalThis.localStorage, OPERATOR_KEY);
export const setOperatorToken = (t: string | null) => write(globalThis.localStorage, OPERATOR_KEY, t);

function roomKeys(): Record<string, string> {
  try {
    return JSON.parse(read(globalThis.localStorage, ROOM_KEYS) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}
/** Remember a workshop's instructor key in this browser (the one that created it). */
export function rememberRoomKey(id: string, key: string) {
  write(globalThis.localStorage, ROOM_KEYS, JSON.stringify({ ...roomKeys(), [id]: key }));
}
export function forgetRoomKeys() {
  write(globalThis.localStorage, ROOM_KEYS, null);
}

/**
 * Takes `#key=...` out of the address (history.replaceState) into sessionStorage for workshop `id`.
 * Returns true when a key was moved.
 */
export function adoptKeyFromFragment(id: string, loc: Location = location, hist: History = history): boolean {
  const m = /(?:^#|&)key=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  hist.replaceState(hist.state, '', loc.pathname + loc.search);
  write(globalThis.sessionStorage, SESSION_PREFIX + id, decodeURIComponent(m[1]!));
  return true;
}

/** The best key this browser has for workshop `id`: handed-over key, its own room key, operator token. */
export function keyFor(id: string): string | null {
  return read(globalThis.sessionStorage, SESSION_PREFIX + id) ?? roomKeys()[id] ?? operatorToken();
}
export function setSessionKey(id: string, key: string | null) {
  write(globalThis.sessionStorage, SESSION_PREFIX + id, key);
}

/** A link for a co-instructor: the key rides in the fragment, which browsers never send to a server. */
export function coInstructorLink(origin: string, id: string, key: string): string {
  return `${origin}/instructor/workshop/?id=${encodeURIComponent(id)}#key=${encodeURIComponent(key)}`;
}
export function dashboardLink(origin: string, id: string): string {
  return `${origin}/instructor/workshop/?id=${encodeURIComponent(id)}`;
}
