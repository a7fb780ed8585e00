/** Labs (API.md): the list, and start/check within a session. */
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';
import { labParams } from './schemas.ts';
import { requireSession, sessionOf } from './session-auth.ts';

export function labRoutes(deps: { sessions: SessionService; labs: LabService }) {
  const { sessions, labs } = deps;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { lang?: string } }>('/api/labs', async (req) => labs.list(req.query?.lang === 'en' ? 'en' : 'ru'));

    await app.register(async (scope) => {
      requireSession(scope, sessions);
      const opts = { schema: { params: labParams } };
      scope.post<{ Params: { id: string; lab: string } }>('/api/sessions/:id/labs/:lab/start', opts, async (req) =>
        labs.start(sessionOf(req), req.params.lab),
      );
      scope.post<{ Params: { id: string; lab: string } }>('/api/sessions/:id/labs/:lab/check', opts, async (req) =>
        labs.check(sessionOf(req), req.params.lab),
      );
    });
  };
}
