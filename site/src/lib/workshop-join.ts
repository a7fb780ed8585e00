/**
 * Joining a workshop from /join/: a session bound to the workshop, kept like any learner's
 * session (session.ts) plus the workshop it belongs to, so the banner can name it and a
 * second visit to /join/ goes back to the same session instead of taking another seat.
 */
import { api, ApiError, dropPendingSession, pageLang, storedSession, storeSession, type SessionRef, type WorkshopRef } from './session.ts';
import { formatCode, normalizeCode } from './workshop-code.ts';

interface JoinAnswer {
  id: string;
  token: string;
  expiresAt: string;
  workshop?: WorkshopRef;
}

export async function joinWorkshop(code: string, name: string): Promise<SessionRef> {
  const s = await api<JoinAnswer>('/api/sessions', {
    method: 'POST',
    body: JSON.stringify({ workshop: formatCode(code), name: name.trim(), lang: pageLang() }),
  });
  const ref: SessionRef = {
    id: s.id,
    token: s.token,
    expiresAt: s.expiresAt,
    workshop: s.workshop ?? { id: '', title: '', code: formatCode(code) },
    name: name.trim(),
  };
  storeSession(ref);
  dropPendingSession();
  return ref;
}

/**
 * The stored session when it belongs to the workshop with this code (or to any workshop when
 * `code` is empty) and the runner still answers for it; null otherwise.
 */
export async function liveWorkshopSession(code: string): Promise<SessionRef | null> {
  const s = storedSession();
  if (!s?.workshop) return null;
  if (code && normalizeCode(s.workshop.code ?? '') !== normalizeCode(code)) return null;
  try {
    const info = await api<{ state: string; workshop?: WorkshopRef | null; name?: string }>(`/api/sessions/${encodeURIComponent(s.id)}`, {
      token: s.token,
    });
    if (info.state === 'stopped' || info.workshop === null) return null;
    return { ...s, ...(info.name ? { name: info.name } : {}) };
  } catch (e) {
    if (e instanceof ApiError) return null;
    throw e;
  }
}
