/**
 * Who may call a workshop route: the operator token opens every workshop (and creating and
 * listing them); an instructor key opens its own workshop only. 401 without a token or with a
 * token that is neither (a learner's session token included), 403 for another workshop's key
 * (no existence is revealed: the answer is the same whether that id exists or not), 404 for
 * an unknown id only after the operator token was accepted.
 */
import { ApiError } from '../core/errors.ts';
import type { SessionService } from '../core/sessions.ts';
import type { Store } from '../store/types.ts';
import type { StoredWorkshop } from '../store/workshops.ts';
import { hashToken, tokenMatches, type OperatorToken } from './secrets.ts';

export function authorize(store: Store, operator: OperatorToken, token: string | null | undefined, workshopId: string | null): StoredWorkshop | null {
  if (!token) {
    throw new ApiError(401, 'missing_token', "This call needs the operator token or the workshop's instructor key: Authorization: Bearer <token> (or ?token= for event streams).");
  }
  if (tokenMatches(token, operator.hash)) {
    if (workshopId === null) return null;
    const w = store.workshops.get(workshopId);
    if (!w) throw new ApiError(404, 'unknown_workshop', `No workshop with id "${workshopId.slice(0, 80)}".`);
    return w;
  }
  // Looked up by hash, then compared in constant time.
  const byKey = token.length <= 512 ? store.workshops.byKeyHash(hashToken(token)) : undefined;
  if (!byKey || !tokenMatches(token, byKey.keyHash)) throw new ApiError(401, 'wrong_token', 'The token is neither the operator token nor an instructor key.');
  if (workshopId === null) throw new ApiError(403, 'operator_only', 'An instructor key opens its own workshop only; creating and listing workshops needs the operator token.');
  if (byKey.id !== workshopId) throw new ApiError(403, 'wrong_workshop', 'This instructor key belongs to another workshop.');
  return byKey;
}

export async function authorizeShadow(
  store: Store,
  operator: OperatorToken,
  sessions: Pick<SessionService, 'get'>,
  workshopId: string,
  sessionId: string,
  token: string | null,
): Promise<{ ok: true; who: 'operator' | 'instructor' } | 'unauthorized' | 'not_found'> {
  let w: StoredWorkshop | null;
  try {
    w = authorize(store, operator, token, workshopId);
  } catch (err) {
    return err instanceof ApiError && err.status === 404 ? 'not_found' : 'unauthorized';
  }
  const s = sessions.get(sessionId);
  // Who watches (and may ask to take over), for the workshop log.
  const who = token && tokenMatches(token, operator.hash) ? 'operator' : 'instructor';
  return w && s && s.workshop === w.id && s.state !== 'stopped' ? { ok: true, who } : 'not_found';
}
