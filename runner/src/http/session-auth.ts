/**
 * Session-scoped routes (/api/sessions/:id/...) get their session attached to the request by
 * one hook, before the body is read: 404 unknown id, 401 missing or wrong token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Session, SessionService } from '../core/sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession on session-scoped routes. */
    session: Session | null;
  }
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** Adds the authenticating hook to a plugin scope (every route registered in it). */
export function requireSession(scope: FastifyInstance, sessions: SessionService): void {
  scope.addHook('onRequest', async (req) => {
    const { id } = req.params as { id?: string };
    req.session = sessions.authenticate(String(id ?? ''), bearer(req));
  });
}

/** The session attached by requireSession. */
export function sessionOf(req: FastifyRequest): Session {
  if (!req.session) throw new Error('route registered outside a requireSession scope');
  return req.session;
}
