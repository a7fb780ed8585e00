/**
 * A learner's launch: the LMS user (iss + sub) and their progress record, the course's
 * workshop, the line item this lab is graded in, and a session: the user's live one when
 * there is one, else a new sandbox whose progress is seeded from the record (passed labs,
 * latest criteria, quiz answers), so a student coming back days later finds what they did.
 * Name and e-mail from the token are kept for the instructor's view only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../core/errors.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import type { Store } from '../store/types.ts';
import { formatCode } from '../workshops/codes.ts';
import { AGS, LTI, type ResourceLinkClaims } from './claims.ts';
import type { LtiContext, LtiUser, UserProgress } from '../store/lti.ts';
import { Refusal } from './pages.ts';
import { seal, unseal } from './seal.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const clean = (s: string | undefined, max: number) => (s ? s.replace(CONTROL, ' ').trim().slice(0, max) || null : null);

export function displayName(c: ResourceLinkClaims): string | null {
  return clean(c.name, 60) ?? clean([c.given_name, c.family_name].filter(Boolean).join(' '), 60);
}

export function upsertUser(store: Store, issuer: string, c: ResourceLinkClaims): LtiUser {
  return store.lti.upsertUser({ id: randomBytes(12).toString('base64url'), issuer, sub: c.sub, name: displayName(c), email: clean(c.email, 200) });
}

/** The line item of this resource link (the platform made it at deep linking, or by hand). */
export function rememberLineItem(store: Store, user: LtiUser, ctx: LtiContext, lab: string | null, c: ResourceLinkClaims): void {
  const lineitem = c[AGS]?.lineitem;
  if (lab && lineitem) store.lti.setTarget(user.id, ctx.id, lab, lineitem);
}

/** Puts the user's record into a fresh session's progress (no activity: nothing is re-sent). */
function seed(store: Store, sessionId: string, p: UserProgress): void {
  for (const [lab, l] of Object.entries(p.labs)) {
    const criteria = l.last.criteria.map(([id, passed]) => ({ id, passed }));
    if (l.firstPassedAt != null && (!l.last.passed || l.firstPassedAt < l.last.at)) {
      store.recordCheck(sessionId, { lab, passed: true, criteria: criteria.map((c) => ({ ...c, passed: true })), at: l.firstPassedAt, durationMs: 0 });
    }
    store.recordCheck(sessionId, { lab, passed: l.last.passed, criteria, at: l.last.at, durationMs: 0 });
  }
  for (const [question, a] of Object.entries(p.quiz)) store.recordQuiz(sessionId, { question, answer: null, correct: a.correct, at: a.at });
}

export interface LearnerSession {
  session: Session;
  token: string;
}

export async function learnerSession(
  deps: { store: Store; sessions: SessionService; sealKey: Buffer },
  user: LtiUser,
  ctx: LtiContext,
  lab: string | null,
  lang: 'ru' | 'en',
  clientAddress: string,
): Promise<LearnerSession> {
  const { store, sessions } = deps;
  const live = user.sessionId ? sessions.get(user.sessionId) : undefined;
  const token = live && user.sessionSeal ? unseal(deps.sealKey, user.sessionSeal) : null;
  if (live && token && live.state !== 'stopped' && live.workshop === ctx.workshop) {
    if (live.lang !== lang) sessions.setLang(live, lang);
    return { session: live, token };
  }
  const w = store.workshops.get(ctx.workshop);
  if (!w) throw new Refusal('unavailable', 'the course workshop is gone');
  let created;
  try {
    // Without a name from the LMS (its privacy settings), a short tag tells learners apart on the dashboard.
    const tag = createHash('sha256').update(`${user.issuer}\n${user.sub}`).digest('hex').slice(0, 6);
    created = await sessions.create({ workshop: w.id, seats: w.seats, name: user.name ?? `LMS ${tag}`, lab, lang, clientAddress });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'workshop_full') throw new Refusal('course_full');
    if (err instanceof ApiError) throw new Refusal('unavailable', err.code);
    throw err;
  }
  seed(store, created.session.id, user.progress);
  store.lti.setUserSession(user.id, created.session.id, seal(deps.sealKey, created.token), ctx.id);
  return created;
}

/** What the site keeps in localStorage (site/src/lib/session.ts SESSION_KEY, SessionRef). */
export function sessionRef(s: LearnerSession, w: { id: string; title: string; code: string }) {
  return { id: s.session.id, token: s.token, expiresAt: new Date(s.session.expiresAt).toISOString(), workshop: { id: w.id, title: w.title, code: formatCode(w.code) }, ...(s.session.name ? { name: s.session.name } : {}) };
}

/** The lab a resource link points to: custom `lab` (set by our deep linking), else ?lab= of the target link. */
export function labOfLink(c: ResourceLinkClaims): { lab: string | null; section: string | null } {
  const custom = c[`${LTI}custom`] ?? {};
  const str = (v: unknown) => (typeof v === 'string' && /^[a-z0-9][a-z0-9-]{0,63}$/.test(v) ? v : null);
  let lab = str(custom.lab);
  let section = str(custom.section);
  const target = c[`${LTI}target_link_uri`];
  if (!lab && !section && target) {
    try {
      const q = new URL(target).searchParams;
      lab = str(q.get('lab'));
      section = str(q.get('section'));
    } catch {
      /* not a URL: no lab */
    }
  }
  return { lab, section };
}
