/**
 * Workshops (API.md "Workshops"): create, list, end (by hand or when endsAt passes), join by
 * code with seats, the dashboard rows and their event stream, broadcast, extend-all,
 * instructor lab reset, results. Secrets: secrets.ts; HTTP: http/workshops.ts. Help in the
 * room (issue 23): raised hands (help.ts), the take-over log, terminal recordings
 * (recordings.ts) in the workshop's folder (data.ts) and its retention.
 */
import type { Config } from '../config.ts';
import type { Activity, ActivityBus } from '../core/activity.ts';
import { ApiError } from '../core/errors.ts';
import { newSandboxId } from '../core/ids.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { ProgressService } from '../core/progress.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';
import type { Store } from '../store/types.ts';
import type { StoredWorkshop } from '../store/workshops.ts';
import type { WorkshopTerminals } from './terminals.ts';
import { sweepWorkshopData, workshopsRoot } from './data.ts';
import { WorkshopHelp } from './help-service.ts';
import { WrongCodeLimit } from './attempts.ts';
import { newCode } from './codes.ts';
import { iso, isOpen, workshopUrls, workshopView } from './views.ts';
import { joinWorkshop } from './join.ts';
import type { LabInfo } from './results.ts';
import { learnerRow, type RowContext } from './rows.ts';
import { authorize, authorizeShadow } from './access.ts';
import { loadOperatorToken, newInstructorKey, type OperatorToken } from './secrets.ts';
import { WorkshopStreams } from './stream.ts';

export interface NewWorkshop {
  title: string;
  labs?: string[] | null;
  seats?: number | null;
  reserve?: number | null;
  endsAt?: string | null;
}

export interface WorkshopDeps {
  store: Store;
  sessions: SessionService;
  labs: LabService;
  progress: ProgressService;
  bus: ActivityBus;
  config: Config;
  log: Logger;
  /** The learners' terminals (terminal/hub.ts): presence, broadcasts, help events. */
  terminals: WorkshopTerminals;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const SWEEP_EVERY_MS = 3_600_000;

export class WorkshopService {
  readonly streams = new WorkshopStreams();
  readonly operator: OperatorToken;
  private readonly hub: WorkshopTerminals;
  private readonly wrongCodes: WrongCodeLimit;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly presence = new Map<string, number>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly rowCtx: RowContext;
  /** Raised hands, take-over log lines and terminal recordings (help-service.ts). */
  readonly room: WorkshopHelp;
  private sweeper: NodeJS.Timeout | null = null;

  private readonly deps: WorkshopDeps;

  constructor(deps: WorkshopDeps) {
    this.deps = deps;
    this.hub = deps.terminals;
    this.operator = loadOperatorToken(deps.config);
    this.wrongCodes = new WrongCodeLimit(deps.config.workshopWrongCodesPerMinute);
    this.rowCtx = {
      store: deps.store,
      progress: deps.progress,
      live: (id) => deps.sessions.get(id),
      connected: (id) => this.connected(id),
      presenceAt: (id) => this.presence.get(id),
    };
    this.room = new WorkshopHelp({
      config: deps.config,
      store: deps.store,
      log: deps.log,
      terminals: deps.terminals,
      streams: this.streams,
      sessionWorkshop: (id) => deps.sessions.get(id)?.workshop ?? deps.store.getSession(id)?.workshop ?? null,
      isOpen: (w) => this.isOpen(w),
      learnerOf: (w, id) => this.learnerOf(w, id),
    });
    deps.sessions.reservedForWorkshops = () => this.reserveWanted();
    this.unsubscribe.push(deps.bus.on((a) => this.onActivity(a)));
    this.unsubscribe.push(
      this.hub.onPresence((sessionId, connected) => {
        this.presence.set(sessionId, Date.now());
        this.deps.bus.emit({ kind: 'presence', sessionId, connected });
      }),
    );
  }

  /** Arms the end timers (ending at once what passed while the runner was down) and warms the reserves. */
  start(): void {
    for (const w of this.deps.store.workshops.list()) if (w.endedAt == null) this.arm(w);
    this.deps.sessions.pool.fill();
    this.sweep();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Removes the folders (help, log, recordings) of workshops ended longer ago than the retention (data.ts). */
  sweep(now = Date.now()): string[] {
    try {
      const removed = sweepWorkshopData(
        workshopsRoot(this.deps.config),
        (id) => {
          const w = this.deps.store.workshops.get(id);
          return w === undefined ? undefined : isOpen(w, now) ? null : (w.endedAt ?? w.endsAt ?? now);
        },
        this.deps.config.workshopDataRetentionMs,
        now,
      );
      if (removed.length) this.deps.log.info({ workshops: removed.length }, 'workshop data past its retention removed');
      return removed;
    } catch (err) {
      this.deps.log.error({ err: errMessage(err) }, 'workshop data sweep failed');
      return [];
    }
  }

  /** Timers and streams stop (the runner stops or closes); workshops stay in the store. */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const u of this.unsubscribe.splice(0)) u();
    this.room.recordings.closeAll();
    this.streams.close();
  }

  /** The sessions (the learner's help routes authenticate with them). */
  get sessions(): SessionService {
    return this.deps.sessions;
  }

  /** The workshop a token opens (access.ts). */
  authorize(token: string | null | undefined, workshopId: string | null): StoredWorkshop | null {
    return authorize(this.deps.store, this.operator, token, workshopId);
  }

  /** For the shadow terminal (L's terminal server): may this token watch this learner? */
  authorizeShadow(workshopId: string, sessionId: string, token: string | null) {
    return authorizeShadow(this.deps.store, this.operator, this.deps.sessions, workshopId, sessionId, token);
  }

  // --- workshops -------------------------------------------------------------------------

  async create(input: NewWorkshop, origin: string) {
    const all = (await this.deps.labs.list()).map((l) => l.id);
    const labs = input.labs?.length ? [...new Set(input.labs)] : all;
    const unknown = labs.filter((l) => !all.includes(l));
    if (unknown.length) throw new ApiError(400, 'unknown_lab', `body.labs: no lab with id ${unknown.map((l) => `"${l}"`).join(', ')} (GET /api/labs lists them).`);
    const endsAt = input.endsAt ? Date.parse(input.endsAt) : null;
    if (endsAt !== null && (Number.isNaN(endsAt) || endsAt <= Date.now())) throw new ApiError(400, 'invalid_body', 'body.endsAt: must be an ISO 8601 time in the future');
    const seats = input.seats ?? 30;
    const reserve = Math.min(input.reserve ?? 0, seats, this.deps.config.maxSessions);
    const { key, hash } = newInstructorKey();
    const w: StoredWorkshop = { id: newSandboxId(), code: '', title: input.title, labs, seats, reserve, createdAt: Date.now(), endsAt, endedAt: null, keyHash: hash, broadcast: null };
    for (let attempt = 0; ; attempt++) {
      w.code = newCode();
      try {
        this.deps.store.workshops.insert(w);
        break;
      } catch (err) {
        // Another open workshop has this code (unique index): draw again.
        if (attempt >= 20 || !/UNIQUE/i.test(errMessage(err))) throw err;
      }
    }
    this.arm(w);
    this.deps.sessions.pool.fill();
    this.deps.log.info({ workshop: w.id, seats, reserve, labs: labs.length }, 'workshop created');
    return { ...this.view(w), instructorKey: key, ...this.urls(w, origin) };
  }

  urls(w: StoredWorkshop, origin: string) {
    return workshopUrls(w, origin);
  }

  isOpen(w: StoredWorkshop): boolean {
    return isOpen(w);
  }

  private live(w: StoredWorkshop): Session[] {
    return this.deps.sessions.list().filter((s) => s.workshop === w.id);
  }

  view(w: StoredWorkshop) {
    const ready = isOpen(w) ? Math.min(w.reserve, this.deps.sessions.pool.stats().ready) : 0;
    return workshopView(w, ready, this.deps.store.workshops.sessions(w.id).length);
  }

  list() {
    return this.deps.store.workshops.list().map((w) => this.view(w));
  }

  /** Sandboxes the pool keeps for open workshops: each its reserve, at most its free seats. */
  private reserveWanted(): number {
    let n = 0;
    for (const w of this.deps.store.workshops.list()) {
      if (w.reserve > 0 && this.isOpen(w)) n += Math.max(0, Math.min(w.reserve, w.seats - this.live(w).length));
    }
    return n;
  }

  private arm(w: StoredWorkshop): void {
    clearTimeout(this.timers.get(w.id));
    this.timers.delete(w.id);
    if (w.endsAt == null || w.endedAt != null) return;
    const left = w.endsAt - Date.now();
    if (left <= 0) {
      void this.end(w).catch((err: unknown) => this.deps.log.error({ workshop: w.id, err: errMessage(err) }, 'ending the workshop failed'));
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(w.id);
      const now = this.deps.store.workshops.get(w.id);
      if (now) this.arm(now);
    }, Math.min(left, MAX_TIMER_MS));
    t.unref();
    this.timers.set(w.id, t);
  }

  /** The workshop ends: code dead, sessions deleted (sandboxes gone), results kept. Idempotent. */
  async end(w: StoredWorkshop): Promise<void> {
    clearTimeout(this.timers.get(w.id));
    this.timers.delete(w.id);
    if (w.endedAt == null) {
      w.endedAt = Math.min(Date.now(), w.endsAt ?? Infinity);
      this.deps.store.workshops.update(w.id, { endedAt: w.endedAt });
      this.deps.log.info({ workshop: w.id }, 'workshop ended');
    }
    this.streams.send(w.id, 'workshop', this.view(w));
    this.room.closeHands(w, 'end');
    await Promise.allSettled(this.live(w).map((s) => this.deps.sessions.delete(s)));
    this.deps.sessions.pool.fill();
    // The learners' last rows (state stopped) go out before the streams end.
    this.streams.end(w.id, { event: 'workshop', data: this.view(w) });
  }

  // --- learners --------------------------------------------------------------------------

  /** POST /api/sessions {"workshop", "name"}: a new learner of the open workshop with this code (join.ts). */
  join(code: string, name: string | null | undefined, clientAddress: string, lab: string | null = null) {
    return joinWorkshop({ store: this.deps.store, sessions: this.deps.sessions, wrongCodes: this.wrongCodes, isOpen }, code, name, clientAddress, lab);
  }

  /** What GET /api/sessions/:id adds for a workshop session. */
  sessionExtras(s: Session) {
    const w = s.workshop ? this.deps.store.workshops.get(s.workshop) : undefined;
    return {
      name: s.name,
      workshop: w ? { id: w.id, title: w.title, ...(w.broadcast ? { broadcast: { message: w.broadcast.message, at: iso(w.broadcast.at) } } : {}) } : null,
    };
  }

  private connected(id: string): boolean {
    return this.hub.connected(id);
  }

  row(sessionId: string) {
    const stored = this.deps.store.getSession(sessionId);
    return stored ? learnerRow(this.rowCtx, stored) : null;
  }

  progress(w: StoredWorkshop) {
    return { workshop: this.view(w), learners: this.deps.store.workshops.sessions(w.id).map((s) => learnerRow(this.rowCtx, s)) };
  }

  private learnerOf(w: StoredWorkshop, sessionId: string): Session {
    const s = this.deps.sessions.get(sessionId);
    if (!s || s.workshop !== w.id) throw new ApiError(404, 'unknown_session', `No learner with session id "${sessionId.slice(0, 80)}" in this workshop.`);
    return s;
  }

  lastChecks(w: StoredWorkshop, sessionId: string, lab?: string) {
    const stored = this.deps.store.getSession(sessionId);
    if (!stored || stored.workshop !== w.id) throw new ApiError(404, 'unknown_session', `No learner with session id "${sessionId.slice(0, 80)}" in this workshop.`);
    const checks = this.deps.store.workshops.lastChecks(sessionId).filter((c) => !lab || c.lab === lab);
    return checks.map((c) => ({ ...c, at: iso(c.at) }));
  }

  resetLab(w: StoredWorkshop, sessionId: string, lab: string) {
    return this.deps.labs.start(this.learnerOf(w, sessionId), lab);
  }

  broadcast(w: StoredWorkshop, message: string, closeHands = false) {
    if (!this.isOpen(w)) throw new ApiError(409, 'workshop_ended', 'The workshop has ended.');
    const at = new Date();
    const terminals = this.hub.broadcast(this.live(w).map((s) => s.id), message, at);
    w.broadcast = { message, at: at.getTime() };
    this.deps.store.workshops.update(w.id, { broadcast: w.broadcast });
    this.streams.send(w.id, 'workshop', this.view(w));
    const hands = closeHands ? this.room.closeHands(w, 'broadcast') : 0;
    return { message, at: at.toISOString(), terminals, ...(closeHands ? { handsClosed: hands } : {}) };
  }

  extendAll(w: StoredWorkshop) {
    let extended = 0;
    for (const s of this.live(w)) {
      const before = s.expiresAt;
      try {
        if (this.deps.sessions.extend(s).expiresAt > before) extended++;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
    return { extended };
  }

  /** GET results.json: the workshop, its labs with their criteria, every learner's row. */
  async results(w: StoredWorkshop) {
    const all = await this.deps.labs.list();
    const labs: LabInfo[] = w.labs.flatMap((id) => all.filter((l) => l.id === id).map(({ title, criteria }) => ({ id, title, criteria })));
    return { ...this.progress(w), labs, help: this.room.all(w, Date.now()) };
  }

  private onActivity(a: Activity): void {
    const session = a.kind === 'presence' ? this.deps.sessions.get(a.sessionId) : a.session;
    const workshop = session?.workshop;
    if (!session || !workshop) return;
    if (a.kind === 'check') {
      this.room.recordings.mark(session.id, `check ${a.answer.lab}: ${a.answer.passed ? 'passed' : 'failed'}`);
      try {
        this.deps.store.workshops.saveLastCheck(session.id, { lab: a.answer.lab, at: a.at, passed: a.answer.passed, criteria: a.answer.criteria.map(({ id, title, passed, message }) => ({ id, title, passed, message })) });
      } catch (err) {
        this.deps.log.error({ session: session.id, err: errMessage(err) }, 'could not save the last check');
      }
    }
    if (a.kind === 'created' || a.kind === 'ended') {
      this.deps.sessions.pool.fill();
      // The learner count (and the reserve in use) changed.
      const w = this.deps.store.workshops.get(workshop);
      if (w) this.streams.send(workshop, 'workshop', this.view(w));
    }
    this.streams.learner(workshop, session.id, () => this.row(session.id));
  }
}
