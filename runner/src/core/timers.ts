/**
 * The timers of one session: expiry, the warning before it, idleness (no terminal) and the
 * removal of a stopped session from memory. Timers never keep the process alive.
 */
export interface TimerCallbacks {
  expire(): void;
  warn(): void;
  idle(): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function later(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
  t.unref();
  return t;
}

export class SessionTimers {
  private expireTimer: NodeJS.Timeout | null = null;
  private warnTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private removeTimer: NodeJS.Timeout | null = null;
  /** expiresAt for which the warning was already given. */
  private warnedFor = 0;
  private readonly on: TimerCallbacks;

  constructor(on: TimerCallbacks) {
    this.on = on;
  }

  /** (Re)arms expiry at `expiresAt` and the warning `warnBeforeMs` earlier (once per expiresAt). */
  expiry(expiresAt: number, warnBeforeMs: number): void {
    this.clear('expireTimer');
    this.clear('warnTimer');
    const left = expiresAt - Date.now();
    this.expireTimer = later(() => {
      this.expireTimer = null;
      this.on.expire();
    }, left);
    if (this.warnedFor !== expiresAt) {
      this.warnTimer = later(() => {
        this.warnTimer = null;
        if (this.warnedFor === expiresAt) return;
        this.warnedFor = expiresAt;
        this.on.warn();
      }, left - warnBeforeMs);
    }
  }

  idle(afterMs: number): void {
    this.clear('idleTimer');
    this.idleTimer = later(() => {
      this.idleTimer = null;
      this.on.idle();
    }, afterMs);
  }

  stopIdle(): void {
    this.clear('idleTimer');
  }

  /** The session stopped: only the removal from memory remains. */
  stopAll(): void {
    this.clear('expireTimer');
    this.clear('warnTimer');
    this.clear('idleTimer');
  }

  removeAfter(ms: number, fn: () => void): void {
    this.clear('removeTimer');
    this.removeTimer = later(fn, ms);
  }

  dispose(): void {
    this.stopAll();
    this.clear('removeTimer');
  }

  private clear(name: 'expireTimer' | 'warnTimer' | 'idleTimer' | 'removeTimer'): void {
    const t = this[name];
    if (t) clearTimeout(t);
    this[name] = null;
  }
}

/**
 * What a session's timers do: expire and idle end it (never once the runner is halting: after
 * stop() a timer armed late must not end a kept session), warn emits 'expiring'.
 */
export function sessionTimerActions(
  session: { id: string; state: string; terminals: number },
  on: { halted(): boolean; end(reason: 'expired' | 'idle'): void; warn(): void; log: { info(o: object, m?: string): void } },
): TimerCallbacks {
  return {
    expire: () => {
      if (on.halted()) return;
      on.log.info({ session: session.id }, 'session expired');
      on.end('expired');
    },
    warn: () => {
      if (session.state !== 'stopped') on.warn();
    },
    idle: () => {
      if (session.terminals > 0 || session.state === 'stopped' || on.halted()) return;
      on.log.info({ session: session.id }, 'session idle (no terminal); ending it');
      on.end('idle');
    },
  };
}
