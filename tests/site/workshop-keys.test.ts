import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';

class MemoryStorage {
  map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, String(v));
  removeItem = (k: string) => void this.map.delete(k);
}
const g = globalThis as any;
g.localStorage = new MemoryStorage();
g.sessionStorage = new MemoryStorage();
const keys = await import('../../site/src/lib/workshop-keys.ts');
const { joinErrorMessage } = await import('../../site/src/lib/workshop-join-page.ts');
const { ApiError } = await import('../../site/src/lib/session.ts');
const { pickUi } = await import('../../site/src/i18n/ui.ts');

beforeEach(() => {
  g.localStorage.map.clear();
  g.sessionStorage.map.clear();
});

test('#key=... moves to sessionStorage and leaves the address at once', () => {
  let replaced = '';
  const loc = { hash: '#key=k%2By-123', pathname: '/instructor/workshop/', search: '?id=w1' } as Location;
  const hist = { state: null, replaceState: (_s: unknown, _t: string, url: string) => (replaced = url) } as unknown as History;
  assert.equal(keys.adoptKeyFromFragment('w1', loc, hist), true);
  assert.equal(replaced, '/instructor/workshop/?id=w1', 'no fragment left in the address');
  assert.equal(keys.keyFor('w1'), 'k+y-123');
  assert.equal(keys.adoptKeyFromFragment('w1', { ...loc, hash: '' }, hist), false);
});

test('key order: handed-over key, then this browser\'s room key, then the operator token', () => {
  assert.equal(keys.keyFor('w1'), null);
  keys.setOperatorToken('operator-token-0123456789');
  assert.equal(keys.keyFor('w1'), 'operator-token-0123456789');
  keys.rememberRoomKey('w1', 'room-key');
  assert.equal(keys.keyFor('w1'), 'room-key');
  assert.equal(keys.keyFor('w2'), 'operator-token-0123456789');
  keys.setSessionKey('w1', 'handed');
  assert.equal(keys.keyFor('w1'), 'handed');
  keys.forgetRoomKeys();
  keys.setSessionKey('w1', null);
  assert.equal(keys.keyFor('w1'), 'operator-token-0123456789');
});

test('links: the dashboard link has no secret; the co-instructor link keeps it in the fragment', () => {
  assert.equal(keys.dashboardLink('http://h', 'w 1'), 'http://h/instructor/workshop/?id=w%201');
  const co = new URL(keys.coInstructorLink('http://h', 'w1', 'k&y'));
  assert.equal(co.search, '?id=w1');
  assert.equal(co.hash, '#key=k%26y');
});

test('join errors read as plain sentences', () => {
  const ui = pickUi('ru', ['join.', 'err.', 'term.']);
  assert.equal(joinErrorMessage(new ApiError(404, 'unknown_workshop', 'x'), ui), ui['err.unknown_workshop']);
  assert.match(joinErrorMessage(new ApiError(409, 'workshop_full', 'x'), ui), /Все места заняты: обратитесь к преподавателю/);
  assert.match(joinErrorMessage(new ApiError(429, 'too_many_attempts', 'x'), ui), /Слишком много попыток/);
});
