/**
 * Help in the room (issue 23) for the workshops of one runner: raised hands and the instructor's
 * replies (help.ts keeps the requests), the log line of each take-over (terminal/takeover.ts
 * decides them), and the terminals' recordings (recordings.ts). WorkshopService owns one
 * (`workshops.room`); the HTTP routes and the terminals call it.
 */
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { Session } from '../core/sessions.ts';
import type { Store } from '../store/types.ts';
import type { StoredWorkshop } from '../store/workshops.ts';
import type { HelpEvent } from '../../../protocol/terminal.ts';
import type { TakeoverRecord, TerminalRecording, WorkshopTerminals } from './terminals.ts';
import { appendLog, readLog, workshopDir } from './data.ts';
import { HelpDesk, helpView, type ClosedBy, type HelpRequest } from './help.ts';
import { Recordings } from './recordings.ts';
import type { WorkshopStreams } from './stream.ts';
import { iso } from './views.ts';

export interface WorkshopHelpDeps {
  config: Config;
  store: Store;
  log: Logger;
  terminals: WorkshopTerminals;
  streams: WorkshopStreams;
  /** The workshop of a session, live or stored, or null. */
  sessionWorkshop(sessionId: string): string | null;
  isOpen(w: StoredWorkshop): boolean;
  /** The live learner of this workshop, or a 404 ApiError. */
  learnerOf(w: StoredWorkshop, sessionId: string): Session;
}

export class WorkshopHelp {
  readonly desk: HelpDesk;
  readonly recordings: Recordings;
  private readonly deps: WorkshopHelpDeps;

  constructor(deps: WorkshopHelpDeps) {
    this.deps = deps;
    const dir = (id: string) => workshopDir(deps.config, id);
    this.desk = new HelpDesk({ dir, perHour: deps.config.helpHandsPerHour });
    this.recordings = new Recordings({ dir, maxBytes: deps.config.recordingMaxBytes, recordInput: deps.config.recordingInput });
  }

  /** Every request of the workshop, open and closed (results.json). */
  all(w: StoredWorkshop, now: number) {
    return this.desk.all(w.id).map((r) => helpView(r, now));
  }

  private workshopOf(s: Session): StoredWorkshop {
    const w = s.workshop ? this.deps.store.workshops.get(s.workshop) : undefined;
    if (!w) throw new ApiError(409, 'not_in_workshop', 'Help requests are for workshop sessions; this session is not in a workshop.');
    return w;
  }

  /** Self-study help (HELP_CONTACT), or null. */
  helpContact(): string | null {
    return this.deps.config.helpContact || null;
  }

  /** The learner's view of their hand: up with a place, or down; the latest reply. */
  helpState(s: Session) {
    const w = this.workshopOf(s);
    const r = this.desk.latest(w.id, s.id);
    return this.helpEventOf(w, s.id, r);
  }

  private helpEventOf(w: StoredWorkshop, sessionId: string, r: HelpRequest | undefined): HelpEvent {
    const up = !!r && r.closedAt === null;
    const e: HelpEvent = { type: 'help', state: up ? 'up' : 'down' };
    if (up) e.position = this.desk.position(w.id, sessionId) ?? undefined;
    else if (r?.closedBy) e.closedBy = r.closedBy;
    if (r?.reply) e.reply = { message: r.reply.message, at: iso(r.reply.at)! };
    return e;
  }

  /** The learner raises a hand; the lab (given, else the latest checked) and its failing criteria are attached. */
  raiseHand(s: Session, input: { message?: string | null; lab?: string | null }) {
    const w = this.workshopOf(s);
    if (!this.deps.isOpen(w)) throw new ApiError(409, 'workshop_ended', 'The workshop has ended.');
    const checks = this.deps.store.workshops.lastChecks(s.id);
    const lab = input.lab && w.labs.includes(input.lab) ? input.lab : (checks[0]?.lab ?? null);
    const last = lab ? checks.find((c) => c.lab === lab) : undefined;
    const failing = (last?.criteria ?? []).filter((c) => !c.passed).map(({ id, title }) => ({ id, title }));
    const r = this.desk.raise(w.id, { session: s.id, name: s.name ?? '', message: input.message ?? '', lab, failing });
    this.deps.log.info({ workshop: w.id, session: s.id }, 'hand raised');
    this.helpChanged(w, [s.id]);
    return this.helpEventOf(w, s.id, r);
  }

  lowerHand(s: Session) {
    const w = this.workshopOf(s);
    if (this.desk.close(w.id, s.id, 'learner')) this.helpChanged(w, [s.id]);
    return this.helpEventOf(w, s.id, this.desk.latest(w.id, s.id));
  }

  helpQueue(w: StoredWorkshop) {
    const now = Date.now();
    return this.desk.queue(w.id).map((r) => helpView(r, now));
  }

  replyHelp(w: StoredWorkshop, sessionId: string, message: string) {
    this.deps.learnerOf(w, sessionId);
    const r = this.desk.reply(w.id, sessionId, message);
    this.deps.terminals.notify(sessionId, this.helpEventOf(w, sessionId, r));
    this.deps.streams.send(w.id, 'help', { queue: this.helpQueue(w) });
    return helpView(r);
  }

  markHelped(w: StoredWorkshop, sessionId: string) {
    const r = this.desk.close(w.id, sessionId, 'instructor');
    if (!r) throw new ApiError(404, 'no_help_request', 'This learner has no raised hand.');
    this.helpChanged(w, [sessionId]);
    return helpView(r);
  }

  /** Closes every open hand of the workshop (it ended, or a broadcast answered them all). */
  closeHands(w: StoredWorkshop, by: ClosedBy): number {
    const sessions = this.desk.closeAll(w.id, by);
    if (sessions.length) this.helpChanged(w, sessions);
    return sessions.length;
  }

  /** Tells the changed learners and everyone still waiting (their place moved), and the dashboards. */
  private helpChanged(w: StoredWorkshop, changed: string[]): void {
    const tell = new Set([...changed, ...this.desk.queue(w.id).map((r) => r.session)]);
    for (const id of tell) this.deps.terminals.notify(id, this.helpEventOf(w, id, this.desk.latest(w.id, id)));
    this.deps.streams.send(w.id, 'help', { queue: this.helpQueue(w) });
  }

  /** A take-over ended (hub.ts): one line in the workshop's log, and the dashboards are told. */
  logTakeover(r: TakeoverRecord): void {
    const w = this.workshopOfSession(r.sessionId);
    if (!w) return;
    const entry = {
      type: 'takeover',
      session: r.sessionId,
      name: this.deps.store.getSession(r.sessionId)?.name ?? '',
      by: r.by,
      askedAt: iso(r.askedAt),
      startedAt: iso(r.startedAt),
      endedAt: iso(r.endedAt),
      durationMs: r.startedAt === null ? 0 : r.endedAt - r.startedAt,
      reason: r.reason,
    };
    try {
      appendLog(workshopDir(this.deps.config, w.id), entry);
    } catch (err) {
      this.deps.log.error({ workshop: w.id, err: errMessage(err) }, 'could not write the workshop log');
    }
    this.deps.log.info({ workshop: w.id, ...entry }, 'take-over ended');
  }

  /** A take-over changed state (hub.ts): the dashboards are told. */
  takeoverChanged(sessionId: string, state: 'asked' | 'active' | 'ended'): void {
    const w = this.workshopOfSession(sessionId);
    if (w) this.deps.streams.send(w.id, 'takeover', { session: sessionId, state });
  }

  private workshopOfSession(sessionId: string): StoredWorkshop | undefined {
    const id = this.deps.sessionWorkshop(sessionId);
    return id ? this.deps.store.workshops.get(id) : undefined;
  }

  /** The workshop's log (take-overs), oldest first. */
  workshopLog(w: StoredWorkshop) {
    return readLog(workshopDir(this.deps.config, w.id));
  }

  /** A recording for a new terminal of a workshop learner (terminal/server.ts), or null. */
  recordTerminal(s: Session, size: { cols: number; rows: number }, secrets: string[]): TerminalRecording | null {
    if (!s.workshop || this.deps.config.recordingMaxBytes <= 0) return null;
    try {
      return this.recordings.start(s.workshop, s.id, size, secrets);
    } catch (err) {
      this.deps.log.error({ session: s.id, err: errMessage(err) }, 'could not start a recording');
      return null;
    }
  }

  recordingsOf(w: StoredWorkshop, sessionId?: string) {
    return this.recordings.list(w.id, sessionId);
  }

  recordingFile(w: StoredWorkshop, recordingId: string): string {
    const f = this.recordings.file(w.id, recordingId);
    if (!f) throw new ApiError(404, 'unknown_recording', 'No such recording in this workshop.');
    return f;
  }
}
