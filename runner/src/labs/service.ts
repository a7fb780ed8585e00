/**
 * API glue for labs: GET /api/labs, start and check. The grading itself is checks/engine.ts;
 * this module only finds labs, keeps each session's per-lab LabState and serialises the
 * start/check calls of one session and lab.
 */
import type { LabContext, LabState } from '../../../checks/context.ts';
import type * as Engine from '../../../checks/engine.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { checkFailed, labStartFailed, learnerAddresses, sandboxUnavailable } from '../core/sandbox-errors.ts';
import { isSandboxGone } from '../sandbox/errors.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import type { ActivityBus } from '../core/activity.ts';
import { ENGINE_MESSAGES, render, type Lang } from '../../../checks/messages.ts';

/**
 * The longest a lab's setup waits for a room's admissions to end (start-queue.ts, settled): a
 * steady stream of arrivals must not keep a lab from ever being prepared.
 */
const SETUP_YIELD_MAX_MS = 120_000;

/** What the runner reads of a loaded lab (the engine's LoadedLab; test doubles give only this much). */
export type LabLike = Pick<Engine.LoadedLab, 'definition'> & Partial<Pick<Engine.LoadedLab, 'dir' | 'english'>>;

/**
 * The engine's check result; per-criterion timings and the other languages are the engine's own
 * (test doubles may omit them: `message` and `title` are then used for every language).
 */
export type CheckOutcome = Omit<Engine.CheckResult, 'criteria'> & {
  criteria: Array<Omit<Engine.CriterionResult, 'durationMs' | 'messages' | 'titles'> & Partial<Pick<Engine.CriterionResult, 'durationMs' | 'messages' | 'titles'>>>;
};

/** The part of checks/engine.ts the runner calls (methods, so the engine's LoadedLab fits LabLike). */
export interface LabEngine {
  loadLabs(labsDir: string): Promise<LabLike[]>;
  startLab(lab: LabLike, ctx: LabContext): Promise<void>;
  checkLab(lab: LabLike, ctx: LabContext): Promise<CheckOutcome>;
  createLabState(): LabState;
}

/** Loads checks/engine.ts lazily (a broken lab module then fails GET /api/labs with 503, not the runner). */
export async function loadEngine(): Promise<LabEngine> {
  return import('../../../checks/engine.ts');
}

export class LabService {
  private readonly engineLoader: () => Promise<LabEngine>;
  private readonly labsDir: string;
  private readonly log: Logger;
  private readonly provider: SandboxProvider;
  private readonly sessions: SessionService;
  private readonly activity: ActivityBus | undefined;
  private loaded: Promise<{ engine: LabEngine; labs: Map<string, LabLike> }> | null = null;
  /** Per session and lab: the operation in progress (start or check), so they never overlap. */
  private readonly queues = new WeakMap<Session, Map<string, Promise<unknown>>>();

  constructor(opts: {
    labsDir: string;
    provider: SandboxProvider;
    sessions: SessionService;
    log: Logger;
    engine?: () => Promise<LabEngine>;
    activity?: ActivityBus;
  }) {
    this.activity = opts.activity;
    this.labsDir = opts.labsDir;
    this.log = opts.log;
    this.provider = opts.provider;
    this.sessions = opts.sessions;
    this.engineLoader = opts.engine ?? loadEngine;
  }

  private load() {
    if (!this.loaded) {
      this.loaded = (async () => {
        const engine = await this.engineLoader();
        const labs = await engine.loadLabs(this.labsDir);
        const sorted = [...labs].sort((a, b) => a.definition.order - b.definition.order || a.definition.id.localeCompare(b.definition.id));
        return { engine, labs: new Map(sorted.map((l) => [l.definition.id, l])) };
      })();
      // A failed load is retried on the next call (the engine may appear later, a lab may get fixed).
      this.loaded.catch((err) => {
        this.log.error({ err: errMessage(err) }, 'labs could not be loaded');
        this.loaded = null;
      });
    }
    return this.loaded;
  }

  private async loadOrFail() {
    try {
      return await this.load();
    } catch (err) {
      throw new ApiError(503, 'labs_unavailable', `Labs are not available right now: ${errMessage(err)}`);
    }
  }

  /** Loads labs at start (errors are logged, not fatal). */
  async preload(): Promise<number> {
    try {
      return (await this.load()).labs.size;
    } catch {
      return 0;
    }
  }

  /** GET /api/labs; `lang: 'en'` (GET /api/labs?lang=en, an extension) gives lab.en.json's titles where there are. */
  async list(lang: Lang = 'ru') {
    const { labs } = await this.loadOrFail();
    return [...labs.values()].map(({ definition: d, english }) => {
      const en = lang === 'en' ? english : null;
      return {
        id: d.id,
        title: en?.title ?? d.title,
        section: d.section,
        criteria: d.criteria.map((c) => ({ id: c.id, title: en?.criteria?.[c.id] ?? c.title })),
        // Extensions (docs/api-extensions.md):
        order: d.order,
        summary: en?.summary ?? d.summary,
      };
    });
  }

  /** True if the lab exists (for validating POST /api/sessions {lab}). */
  async has(labId: string): Promise<boolean> {
    const { labs } = await this.loadOrFail();
    return labs.has(labId);
  }

  private async find(labId: string) {
    const loaded = await this.loadOrFail();
    const lab = loaded.labs.get(labId);
    if (!lab) throw new ApiError(404, 'unknown_lab', `No lab with id "${labId.slice(0, 80)}".`);
    return { engine: loaded.engine, lab };
  }

  private serial<T>(session: Session, labId: string, op: () => Promise<T>): Promise<T> {
    let perSession = this.queues.get(session);
    if (!perSession) this.queues.set(session, (perSession = new Map()));
    const prev = perSession.get(labId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    perSession.set(labId, next);
    const clear = () => {
      if (perSession.get(labId) === next) perSession.delete(labId);
    };
    next.then(clear, clear);
    return next;
  }

  private context(session: Session, lab: LabLike, state: LabState): LabContext {
    return {
      sandbox: this.provider.ops(session.id),
      state,
      labDir: lab.dir ?? `${this.labsDir}/${lab.definition.id}`,
    };
  }

  /** The workstation stopped, or its backend said as much (details are logged by the caller). */
  private async sandboxDown(session: Session, err: unknown): Promise<boolean> {
    if (isSandboxGone(err)) return true;
    return !(await this.provider.isRunning(session.id).catch(() => false));
  }

  private registryBase(session: Session): string | null {
    try {
      return this.provider.ops(session.id).registryUrl();
    } catch {
      return null;
    }
  }

  /** Fresh LabState, then the lab's setup. Starting again resets the lab. */
  async start(session: Session, labId: string): Promise<{ lab: string; ready: true }> {
    const { engine, lab } = await this.find(labId);
    await this.sessions.waitReady(session);
    // While a room is being admitted, its shells come first: the setup waits for the last start.
    await this.sessions.admissionsSettled(SETUP_YIELD_MAX_MS);
    return this.serial(session, labId, async () => {
      if (session.state !== 'ready') throw new ApiError(409, 'session_stopped', 'The session has stopped. Start a new session.');
      const state = engine.createLabState();
      session.labStates.set(labId, state);
      const t0 = Date.now();
      try {
        await engine.startLab(lab, this.context(session, lab, state));
      } catch (err) {
        if (session.state !== 'ready') throw new ApiError(409, 'session_stopped', 'The session stopped while the lab was being prepared.');
        this.log.error({ session: session.id, lab: labId, err: errMessage(err) }, 'lab setup failed');
        throw (await this.sandboxDown(session, err)) ? sandboxUnavailable() : labStartFailed(labId);
      }
      this.log.info({ session: session.id, lab: labId, ms: Date.now() - t0 }, 'lab started');
      this.activity?.emit({ kind: 'lab-start', session, lab: labId });
      return { lab: labId, ready: true as const };
    });
  }

  async check(session: Session, labId: string) {
    const { engine, lab } = await this.find(labId);
    if (session.state === 'starting') await this.sessions.waitReady(session, 30_000);
    if (session.state !== 'ready') throw new ApiError(409, 'session_stopped', 'The session has stopped. Start a new session.');
    return this.serial(session, labId, async () => {
      const state = session.labStates.get(labId);
      // Never started in this session (or started before a runner restart, which keeps no lab state):
      // nothing to compare with, so say what to do instead of running a check that can only fail.
      if (!state) return notStartedAnswer(labId, lab, session.lang);
      let outcome: CheckOutcome;
      try {
        outcome = await engine.checkLab(lab, this.context(session, lab, state));
      } catch (err) {
        if (session.state !== 'ready') throw new ApiError(409, 'session_stopped', 'The session stopped during the check.');
        this.log.error({ session: session.id, lab: labId, err: errMessage(err) }, 'lab check failed');
        throw (await this.sandboxDown(session, err)) ? sandboxUnavailable() : checkFailed(labId);
      }
      // Failed criteria of a sandbox that is gone say nothing useful: the learner needs a new sandbox.
      if (!outcome.passed && (await this.sandboxDown(session, null))) {
        this.log.error({ session: session.id, lab: labId, criteria: outcome.criteria.map((c) => c.message) }, 'check ran against a sandbox that is down');
        throw sandboxUnavailable();
      }
      const registry = this.registryBase(session);
      const answer = {
        lab: labId,
        passed: outcome.passed,
        // Rendered in every language by the engine; the answer (and what the dashboard records) is the session's.
        criteria: outcome.criteria.map((c) => ({
          id: c.id,
          title: c.titles?.[session.lang] ?? c.title,
          passed: c.passed,
          message: learnerAddresses(c.messages?.[session.lang] ?? c.message, registry),
          required: c.required,
        })),
        durationMs: outcome.durationMs,
      };
      this.activity?.emit({ kind: 'check', session, answer, at: Date.now() });
      return answer;
    });
  }

  /** The lab named at session creation: set up once the sandbox is ready; errors land in session.labError. */
  startInBackground(session: Session, labId: string): void {
    session.labStatus = 'starting';
    this.start(session, labId).then(() => {
      session.labStatus = 'ready';
    }, (err) => {
      session.labStatus = 'failed';
      if (session.state === 'stopped') return;
      session.labError = err instanceof ApiError ? err.message : labStartFailed(labId).message;
      this.log.error({ session: session.id, lab: labId, err: errMessage(err) }, 'lab setup at session start failed');
    });
  }
}

/** Check before start: 200 as any check, every criterion failed with what to do (checks/messages: check.not-started), and `started: false`. */
function notStartedAnswer(labId: string, lab: LabLike, lang: Lang) {
  const message = render({ key: 'check.not-started' }, lang, [ENGINE_MESSAGES]);
  const titles = lang === 'en' ? lab.english?.criteria : undefined;
  return {
    lab: labId,
    passed: false,
    started: false as const,
    criteria: lab.definition.criteria.map((c) => ({ id: c.id, title: titles?.[c.id] ?? c.title, passed: false, message, required: c.required ?? true })),
    durationMs: 0,
  };
}
