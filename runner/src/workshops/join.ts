/**
 * Joining a workshop: the display name checked, wrong codes limited per client address, and
 * a session that counts against the workshop's seats (core/admission.ts) instead of the
 * per-client limits. Every join is a new learner (the page keeps its token to come back).
 */
import { ApiError } from '../core/errors.ts';
import type { SessionService } from '../core/sessions.ts';
import type { Store } from '../store/types.ts';
import type { StoredWorkshop } from '../store/workshops.ts';
import type { WrongCodeLimit } from './attempts.ts';
import { formatCode, normalizeCode } from './codes.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export async function joinWorkshop(
  deps: { store: Store; sessions: SessionService; wrongCodes: WrongCodeLimit; isOpen(w: StoredWorkshop): boolean },
  codeInput: string,
  nameInput: string | null | undefined,
  clientAddress: string,
  lab: string | null = null,
) {
  const name = (nameInput ?? '').trim();
  if (name.length < 1 || name.length > 60) throw new ApiError(400, 'invalid_body', 'body.name: the display name must have 1 to 60 characters');
  if (CONTROL.test(name)) throw new ApiError(400, 'invalid_body', 'body.name: must not contain control characters');
  const wait = deps.wrongCodes.blockedFor(clientAddress);
  if (wait > 0) {
    const s = Math.max(1, Math.ceil(wait / 1000));
    throw new ApiError(429, 'too_many_attempts', `Too many wrong workshop codes from this address; try again in ${s} s.`, { 'retry-after': String(s) });
  }
  const code = normalizeCode(codeInput);
  const w = code ? deps.store.workshops.openByCode(code) : undefined;
  if (!w || !deps.isOpen(w)) {
    deps.wrongCodes.fail(clientAddress);
    throw new ApiError(404, 'unknown_workshop', 'No open workshop has this code. Check the code on the board, or ask the instructor.');
  }
  const created = await deps.sessions.create({ workshop: w.id, seats: w.seats, name, lab, clientAddress });
  return { ...created, workshop: { id: w.id, title: w.title, code: formatCode(w.code) } };
}
