/**
 * Routes of durable sessions, a fastify plugin (docs/api-extensions.md):
 *   GET  /api/sessions/:id/progress                       API.md "Progress"
 *   POST /api/sessions/:id/quiz     {"question", "answer"} API.md "Progress"
 *   POST /api/sessions/:id/recreate                       a fresh sandbox for a session whose own died or vanished
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../core/errors.ts';
import type { ProgressService } from '../core/progress.ts';
import { sessionView, type Session, type SessionService } from '../core/sessions.ts';

const quizBody = z.object({
  question: z.string().min(1).max(200),
  answer: z.union([z.string().max(2000), z.array(z.string().max(2000)).max(50)]),
});

function bearer(req: FastifyRequest): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

export function durableRoutes(deps: { sessions: SessionService; progress: ProgressService }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const auth = (req: FastifyRequest<{ Params: { id: string } }>): Session => deps.sessions.authenticate(req.params.id, bearer(req));

    app.get<{ Params: { id: string } }>('/api/sessions/:id/progress', async (req) => deps.progress.view(auth(req)));

    app.post<{ Params: { id: string } }>('/api/sessions/:id/quiz', async (req) => {
      const session = auth(req);
      const body = quizBody.safeParse(req.body);
      if (!body.success) {
        const issue = body.error.issues[0];
        const field = issue?.path.length ? `body.${issue.path.join('.')}` : 'body';
        throw new ApiError(400, 'invalid_body', `${field}: ${issue?.message ?? 'must be {"question": string, "answer": string | string[]}'}`);
      }
      return deps.progress.answer(session, body.data.question, body.data.answer);
    });

    app.post<{ Params: { id: string } }>('/api/sessions/:id/recreate', async (req, reply) => {
      const session = await deps.sessions.recreate(auth(req));
      return reply.code(202).send(sessionView(session));
    });
  };
}
