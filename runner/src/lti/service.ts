/**
 * The LTI feature in one object: the tool keys, the platform tokens, the score outbox, deep
 * linking, and what happens on a verified launch (learner → their lab, instructor or TA →
 * the course's workshop dashboard, deep linking → the picker). It listens to the activity bus
 * for checks and quiz answers of sessions made by a launch.
 */
import type { Activity, ActivityBus } from '../core/activity.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { SessionService } from '../core/sessions.ts';
import type { Store } from '../store/types.ts';
import type { WorkshopService } from '../workshops/service.ts';
import { ScoreOutbox } from './ags-outbox.ts';
import { labCatalog } from './catalog.ts';
import { AGS, deepLinkingClaims, isStaff, langOfLocale, LTI, resourceLinkClaims } from './claims.ts';
import { findOrCreateLineItem, SCOPE_LINEITEM } from './lineitems.ts';
import { ensureContext, roster, type ContextDeps } from './contexts.ts';
import { DeepLinking } from './deep-linking.ts';
import { ToolKeys } from './keys.ts';
import { labOfLink, learnerSession, rememberLineItem, sessionRef, upsertUser } from './learners.ts';
import type { VerifiedLaunch } from './launch.ts';
import { launchPage, pickerPage, Refusal, type Lang } from './pages.ts';
import { platformOrigins } from './registrations.ts';
import { onCheck, onQuiz } from './scores.ts';
import { unseal } from './seal.ts';
import { TokenCache } from './token.ts';
import { quizKey, quizSections } from './quiz-sections.ts';
import { join } from 'node:path';
import { REPO_ROOT } from '../config.ts';

/** site/src/lib/session.ts SESSION_KEY */
const SITE_SESSION_KEY = 'registry-lab:session:v1';

export interface LtiDeps {
  store: Store;
  sessions: SessionService;
  workshops: WorkshopService;
  bus: ActivityBus;
  config: { dataDir: string; runnerId: string; labsDir: string };
  log: Logger;
  /** The tool's public origin (LTI_TOOL_URL); else each request's own. */
  toolUrl?: string;
  retry?: { baseMs?: number; maxMs?: number };
  /** site/src: the quizzes (data/quizzes) and section titles (content/docs). */
  siteSrc?: string;
}

export class LtiService {
  readonly outbox: ScoreOutbox;
  readonly tokens: TokenCache;
  readonly deepLinking = new DeepLinking();
  /** Line item look-ups started by launches (after the answer); tests wait for them. */
  readonly lineItemLookups = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | null = null;

  readonly deps: LtiDeps;
  readonly keys: ToolKeys;

  private constructor(deps: LtiDeps, keys: ToolKeys) {
    this.deps = deps;
    this.keys = keys;
    this.tokens = new TokenCache(keys);
    const env = Number(process.env.LTI_RETRY_BASE_MS);
    this.outbox = new ScoreOutbox(deps.store.lti, this.tokens, deps.log, {
      baseMs: deps.retry?.baseMs ?? (env > 0 ? env : 5000),
      maxMs: deps.retry?.maxMs ?? 10 * 60_000,
    });
  }

  static async create(deps: LtiDeps): Promise<LtiService> {
    return new LtiService(deps, await ToolKeys.load(deps.config));
  }

  get store() {
    return this.deps.store.lti;
  }

  /** Listens for checks and quiz answers; sends what a previous run left in the outbox. */
  start(): void {
    this.unsubscribe ??= this.deps.bus.on((a) => this.onActivity(a));
    this.outbox.kick();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.outbox.stop();
  }

  frameAncestors(): string[] {
    try {
      return platformOrigins(this.store);
    } catch {
      return [];
    }
  }

  origin(reqOrigin: string): string {
    return (this.deps.toolUrl ?? process.env.LTI_TOOL_URL ?? reqOrigin).replace(/\/+$/, '');
  }

  /** The hook where a check result is recorded (the bus calls it; so can a test). */
  onActivity(a: Activity): void {
    try {
      if (a.kind === 'check') {
        if (onCheck(this.store, a.session.id, a.answer, a.at, a.session.lang) > 0) this.outbox.kick();
      } else if (a.kind === 'quiz') {
        if (this.store.sessionOwner(a.session.id) && onQuiz(this.store, a.session.id, this.deps.store.progress(a.session.id).quiz, this.sections()) > 0) this.outbox.kick();
      }
    } catch (err) {
      this.deps.log.error({ session: a.kind === 'presence' ? a.sessionId : a.session.id, err: errMessage(err) }, 'lti: could not record the result');
    }
  }

  sections() {
    return quizSections(this.deps.siteSrc ?? join(REPO_ROOT, 'site', 'src'));
  }

  private contextDeps(): ContextDeps {
    return { store: this.store, workshopRows: this.deps.store.workshops, workshops: this.deps.workshops, keys: this.keys, tokens: this.tokens, log: this.deps.log };
  }

  /** After verification: the page to answer with. */
  async afterLaunch(v: VerifiedLaunch, origin: string, clientAddress: string, fallbackLang: Lang): Promise<string> {
    const locale = (v.payload[`${LTI}launch_presentation`] as { locale?: string } | undefined)?.locale;
    const lang = langOfLocale(locale) ?? fallbackLang;
    const catalog = labCatalog(this.deps.config.labsDir);
    if (v.messageType === 'LtiDeepLinkingRequest') {
      const parsed = deepLinkingClaims.safeParse(v.payload);
      if (!parsed.success) throw new Refusal('missing_claim', parsed.error.issues[0]?.path.join('.') ?? '');
      const { ticket, multiple } = this.deepLinking.open(v.registration, v.deployment, parsed.data, lang);
      const choices = [
        ...catalog.map((l) => ({ id: l.id, title: l.title[lang], max: l.required })),
        ...this.sections().map((s) => ({ id: quizKey(s.id), title: `${lang === 'en' ? 'Quiz' : 'Тест'}: ${s.title[lang]}`, max: s.questions.length })),
      ];
      return pickerPage(lang, ticket, choices, multiple);
    }
    const parsed = resourceLinkClaims.safeParse(v.payload);
    if (!parsed.success) throw new Refusal('missing_claim', parsed.error.issues[0]?.path.join('.') ?? '');
    const claims = parsed.data;
    const ctx = await ensureContext(this.contextDeps(), v.registration, v.deployment, claims, origin);
    const prefix = lang === 'en' ? '/en' : '';
    if (isStaff(claims[`${LTI}roles`])) {
      // Seats from the roster (best effort: the dashboard opens anyway).
      await roster(this.contextDeps(), ctx);
      const key = unseal(this.keys.sealKey, ctx.keySeal);
      if (!key) throw new Refusal('unavailable', 'the course workshop key cannot be read (was the key file replaced?)');
      const target = `${prefix}/instructor/workshop/?id=${encodeURIComponent(ctx.workshop)}#key=${encodeURIComponent(key)}`;
      return launchPage(lang, null, target, lang === 'en' ? 'Course dashboard' : 'Панель курса');
    }
    const { lab, section } = labOfLink(claims);
    if (lab && !catalog.some((l) => l.id === lab)) throw new Refusal('unknown_lab');
    if (section && !lab && !this.sections().some((s) => s.id === section)) throw new Refusal('unknown_lab');
    const user = upsertUser(this.deps.store, v.registration.issuer, claims);
    const key = lab ?? (section ? quizKey(section) : null);
    rememberLineItem(this.deps.store, user, ctx, key, claims);
    const ags = claims[AGS];
    if (key && !ags?.lineitem && ags?.lineitems && ags.scope?.includes(SCOPE_LINEITEM)) {
      const labInfo = catalog.find((l) => l.id === lab);
      const quiz = this.sections().find((s) => s.id === section);
      const label = labInfo ? labInfo.title[lang] : `${lang === 'en' ? 'Quiz' : 'Тест'}: ${quiz!.title[lang]}`;
      const scoreMaximum = labInfo ? labInfo.required : quiz!.questions.length;
      const wanted = { registration: v.registration, lineitems: ags.lineitems, resourceLinkId: claims[`${LTI}resource_link`].id, key, label, scoreMaximum, userId: user.id, contextId: ctx.id };
      const lookup: Promise<unknown> = findOrCreateLineItem(this.store, this.tokens, this.deps.log, wanted).finally(() => this.lineItemLookups.delete(lookup));
      this.lineItemLookups.add(lookup);
    }
    const s = await learnerSession({ store: this.deps.store, sessions: this.deps.sessions, sealKey: this.keys.sealKey }, user, ctx, lab, lang, clientAddress);
    // A section link: the quiz's score goes out now if the record already has answers there.
    if (section && !lab && onQuiz(this.store, s.session.id, {}, this.sections().filter((x) => x.id === section)) > 0) this.outbox.kick();
    const w = this.deps.store.workshops.get(ctx.workshop)!;
    const target = lab ? `${prefix}/labs/${lab}/` : section ? `${prefix}/${section}/` : `${prefix}/`;
    this.deps.log.info({ session: s.session.id, lab, workshop: w.id }, 'lti: learner launch');
    return launchPage(lang, { key: SITE_SESSION_KEY, value: sessionRef(s, w) }, target, lang === 'en' ? 'Open the lab' : 'Открыть лабораторную');
  }

  /** What the LTI side of a course workshop looks like: the roster with who started, and the scores still pending. */
  async workshopStatus(workshopId: string) {
    const ctx = this.store.contextForWorkshop(workshopId);
    const outbox = this.store.outboxOfWorkshop(workshopId);
    const base = {
      scores: {
        pending: outbox.filter((o) => o.sentAt == null && o.failedAt == null).length,
        failed: outbox.filter((o) => o.failedAt != null).length,
        sent: outbox.filter((o) => o.sentAt != null).length,
        items: outbox.slice(0, 100).map((o) => ({
          lab: o.lab,
          state: o.sentAt != null ? 'sent' : o.failedAt != null ? 'failed' : 'pending',
          attempts: o.attempts,
          createdAt: new Date(o.createdAt).toISOString(),
          ...(o.lastError ? { lastError: o.lastError } : {}),
          ...(o.sentAt == null && o.failedAt == null ? { nextAttemptAt: new Date(o.nextAt).toISOString() } : {}),
        })),
      },
    };
    if (!ctx) return { context: null, roster: null, ...base };
    const started = new Set(this.store.usersOfContext(ctx.id).map((u) => u.sub));
    const members = await roster(this.contextDeps(), ctx);
    return {
      context: { title: ctx.title },
      roster: members?.map((m) => ({ name: m.name ?? null, email: m.email ?? null, roles: m.roles, started: started.has(m.user_id) })) ?? null,
      ...base,
    };
  }
}
