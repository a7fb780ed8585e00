/**
 * Progress routes (API.md "Progress"), a fastify plugin:
 *   GET  /api/sessions/:id/progress
 *   POST /api/sessions/:id/quiz     {"question": "<section>/<id>", "answer": string | string[]}
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../core/errors.ts';
import type { ProgressService } from '../core/progress.ts';
import type { Session, SessionService } from '../core/sessions.ts';

const quizBody = z.object({
  question: z.string().min(1).max(200),
  answer: z.union([z.string().max(2000), z.array(z.string().max(2000)).max(50)]),
});

function bearer(req: FastifyRequest): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

export function progressRoutes(deps: { sessions: SessionService; progress: ProgressService }) {
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
  };
}
