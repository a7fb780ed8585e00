/**
 * One workshop per LMS context (course): made on the first launch from that course, its
 * instructor key kept sealed so every instructor or TA launch opens its dashboard, its seats
 * raised to the roster's learners when the platform offers NRPS.
 */
import { randomBytes } from 'node:crypto';
import { errMessage, type Logger } from '../core/log.ts';
import type { WorkshopService } from '../workshops/service.ts';
import type { WorkshopStore } from '../store/workshops.ts';
import { LTI, NRPS, type ResourceLinkClaims } from './claims.ts';
import type { ToolKeys } from './keys.ts';
import { fetchRoster, isLearner } from './nrps.ts';
import { seal, unseal } from './seal.ts';
import type { LtiContext, LtiStore, Registration } from '../store/lti.ts';
import type { TokenCache } from './token.ts';

/** Seats of a course workshop when the roster is not known (the runner's MAX_SESSIONS still applies). */
export const DEFAULT_SEATS = 100;
/** A launch outside any course (no context claim) counts as this context of its deployment. */
const NO_CONTEXT = '-';

export interface ContextDeps {
  store: LtiStore;
  /** The workshops table (is the course's workshop still open?). */
  workshopRows: Pick<WorkshopStore, 'get'>;
  workshops: WorkshopService;
  keys: ToolKeys;
  tokens: TokenCache;
  log: Logger;
}

export async function ensureContext(deps: ContextDeps, reg: Registration, deployment: string, claims: ResourceLinkClaims, origin: string): Promise<LtiContext> {
  const ctxClaim = claims[`${LTI}context`];
  const contextId = ctxClaim?.id ?? NO_CONTEXT;
  const nrpsUrl = claims[NRPS]?.context_memberships_url ?? null;
  const title = (ctxClaim?.title || ctxClaim?.label || 'LMS course').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, 120) || 'LMS course';
  const existing = deps.store.context(reg.id, deployment, contextId);
  if (existing) {
    if (nrpsUrl && existing.nrpsUrl !== nrpsUrl) deps.store.setContextNrps(existing.id, nrpsUrl);
    const ctx = { ...existing, nrpsUrl: nrpsUrl ?? existing.nrpsUrl };
    const w = deps.workshopRows.get(existing.workshop);
    // Ended by an instructor (the lesson is over), or its key unreadable (a key file from elsewhere): the course goes on in a new one.
    if (w && deps.workshops.isOpen(w) && unseal(deps.keys.sealKey, existing.keySeal)) return ctx;
    const fresh = await deps.workshops.create({ title, labs: null, seats: w?.seats ?? DEFAULT_SEATS, reserve: 0 }, origin);
    const keySeal = seal(deps.keys.sealKey, fresh.instructorKey);
    deps.store.replaceContextWorkshop(existing.id, fresh.id, keySeal);
    deps.log.info({ workshop: fresh.id, previous: existing.workshop }, 'lti: the course continues in a new workshop');
    return { ...ctx, workshop: fresh.id, keySeal };
  }
  const created = await deps.workshops.create({ title, labs: null, seats: DEFAULT_SEATS, reserve: 0 }, origin);
  const ctx: LtiContext = { id: randomBytes(12).toString('base64url'), registration: reg.id, deployment, context: contextId, title, workshop: created.id, keySeal: seal(deps.keys.sealKey, created.instructorKey), nrpsUrl };
  try {
    deps.store.insertContext(ctx);
  } catch (err) {
    // Two first launches at once: the other one won; end the spare workshop.
    const other = deps.store.context(reg.id, deployment, contextId);
    const spare = deps.workshops.authorize(created.instructorKey, created.id);
    if (spare) await deps.workshops.end(spare).catch(() => {});
    if (other) return other;
    throw err;
  }
  deps.log.info({ workshop: ctx.workshop, registration: reg.id }, 'lti: course workshop created');
  return ctx;
}

/** The roster (NRPS) of a context, or null when the platform offers none or does not answer. */
export async function roster(deps: ContextDeps, ctx: LtiContext) {
  if (!ctx.nrpsUrl) return null;
  const reg = deps.store.registration(ctx.registration);
  if (!reg) return null;
  try {
    const members = await fetchRoster(deps.tokens, reg, ctx.nrpsUrl);
    const learners = members.filter(isLearner);
    if (learners.length) deps.store.raiseSeats(ctx.workshop, learners.length);
    return members;
  } catch (err) {
    deps.log.warn({ workshop: ctx.workshop, err: errMessage(err) }, 'lti: the roster could not be read');
    return null;
  }
}
