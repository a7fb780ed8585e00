/**
 * The terminals of workshop learners, recorded (asciicast.ts) into the workshop's folder
 * (data.ts): `recordings/<session>.<n>.cast`, one file per terminal opened, all of a session
 * within RECORDING_MAX_BYTES together. Check results become "m" markers in the session's
 * open recordings. Input is recorded only with RECORDING_INPUT=true.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalRecording } from './terminals.ts';
import { AsciicastWriter, type Budget } from './asciicast.ts';
import { ensureDir } from './data.ts';

const SAFE = /^[A-Za-z0-9_-]{1,80}$/;
const FILE = /^([A-Za-z0-9_-]{1,80})\.(\d{1,6})\.cast$/;

export interface RecordingInfo {
  id: string;
  session: string;
  bytes: number;
  startedAt: string;
}

export class Recordings {
  private readonly open = new Map<string, Set<AsciicastWriter>>();
  private readonly budgets = new Map<string, Budget>();
  private readonly opts: { dir(workshopId: string): string; maxBytes: number; recordInput: boolean; flushMs?: number };

  constructor(opts: { dir(workshopId: string): string; maxBytes: number; recordInput: boolean; flushMs?: number }) {
    this.opts = opts;
  }

  private folder(workshopId: string): string {
    return join(this.opts.dir(workshopId), 'recordings');
  }

  /** A new terminal of a workshop learner: its recording (null when the session has no budget left or its id is odd). */
  start(workshopId: string, sessionId: string, size: { cols: number; rows: number }, secrets: string[], title?: string): TerminalRecording | null {
    if (!SAFE.test(sessionId)) return null;
    const dir = ensureDir(this.folder(workshopId));
    const files = readdirSync(dir).filter((f) => FILE.exec(f)?.[1] === sessionId);
    let budget = this.budgets.get(sessionId);
    if (!budget) {
      const used = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      this.budgets.set(sessionId, (budget = { left: this.opts.maxBytes - used }));
    }
    if (budget.left <= 256) return null;
    const n = files.reduce((m, f) => Math.max(m, Number(FILE.exec(f)?.[2] ?? 0)), 0) + 1;
    const w = new AsciicastWriter({ path: join(dir, `${sessionId}.${n}.cast`), width: size.cols, height: size.rows, budget, secrets, recordInput: this.opts.recordInput, title, flushMs: this.opts.flushMs });
    let set = this.open.get(sessionId);
    if (!set) this.open.set(sessionId, (set = new Set()));
    set.add(w);
    return {
      output: (c) => w.output(c),
      input: (c) => w.input(c),
      resize: (c, r) => w.resize(c, r),
      redact: (secret) => w.addSecret(secret),
      close: () => {
        w.close();
        set.delete(w);
        if (set.size === 0 && this.open.get(sessionId) === set) this.open.delete(sessionId);
      },
    };
  }

  /** A marker in every open recording of the session (a check: "check <lab>: passed"). */
  mark(sessionId: string, label: string): void {
    for (const w of this.open.get(sessionId) ?? []) w.marker(label);
  }

  /** The recordings of one learner (or of the whole workshop), oldest first. */
  list(workshopId: string, sessionId?: string): RecordingInfo[] {
    const dir = this.folder(workshopId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((f) => ({ f, m: FILE.exec(f) }))
      .filter(({ m }) => m && (!sessionId || m[1] === sessionId))
      .map(({ f, m }) => {
        const st = statSync(join(dir, f));
        return { id: f.slice(0, -'.cast'.length), session: m![1]!, bytes: st.size, startedAt: st.birthtime.toISOString(), n: Number(m![2]) };
      })
      .sort((a, b) => a.session.localeCompare(b.session) || a.n - b.n)
      .map(({ n: _n, ...r }) => r);
  }

  /** The file of one recording, or null (ids are checked, never joined raw). */
  file(workshopId: string, recordingId: string): string | null {
    if (!FILE.test(`${recordingId}.cast`)) return null;
    const f = join(this.folder(workshopId), `${recordingId}.cast`);
    return existsSync(f) ? f : null;
  }

  /** Closes every open recording (the runner stops). */
  closeAll(): void {
    for (const set of this.open.values()) for (const w of set) w.close();
    this.open.clear();
  }
}
