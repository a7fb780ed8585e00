/**
 * What one terminal hears about its session: the expiry warning (the runner's
 * SESSION_WARN_BEFORE_MS is the only source of that window; the client shows what it is
 * told), an extension, and the end. Returns the unsubscribe function.
 */
import type { EndReason, ServerEvent } from '../../../protocol/terminal.ts';
import type { Session, SessionService } from '../core/sessions.ts';

export function followSession(
  sessions: SessionService,
  session: Session,
  on: { event(e: ServerEvent): void; ended(reason: EndReason): void },
): { warnIfSoon(): void; stop(): void } {
  let warnedFor = 0;
  const iso = (ms: number) => new Date(ms).toISOString();
  const onExpiring = (s: Session) => {
    if (s !== session || warnedFor === s.expiresAt) return;
    warnedFor = s.expiresAt;
    on.event({ type: 'expiring', expiresAt: iso(s.expiresAt) });
  };
  const onExtended = (s: Session) => {
    if (s === session) on.event({ type: 'extended', expiresAt: iso(s.expiresAt) });
  };
  const onEnded = (s: Session, reason: EndReason) => {
    if (s === session) on.ended(reason);
  };
  sessions.on('expiring', onExpiring);
  sessions.on('extended', onExtended);
  sessions.on('ended', onEnded);
  return {
    warnIfSoon: () => {
      if (sessions.isExpiringSoon(session)) onExpiring(session);
    },
    stop: () => {
      sessions.off('expiring', onExpiring);
      sessions.off('extended', onExtended);
      sessions.off('ended', onEnded);
    },
  };
}
