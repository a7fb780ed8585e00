/** Sessions (API.md): create, read, extend, delete; the terminal route without Upgrade. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.ts';
import { errMessage } from '../core/log.ts';
import { sessionView, type Session, type SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';
import type { WorkshopService } from '../workshops/service.ts';
import { pickLang } from '../../../checks/messages.ts';
import { createSessionBody, patchSessionBody, sessionParams, type CreateSessionBody, type PatchSessionBody } from './schemas.ts';
import { requireSession, sessionOf } from './session-auth.ts';

/** How long after the answer a reset still means the creator never read it. */
const DELIVERY_WINDOW_MS = 2000;

/** The connection that asked is gone: nobody can receive an answer. */
function creatorGone(req: FastifyRequest): boolean {
  const socket = req.raw.socket;
  return !socket || socket.destroyed || req.clientAddress === 'unknown';
}

/**
 * Calls `onLost` when the answer carrying the token never reached its creator: the connection
 * closed before the answer was handed to the kernel, the write failed, or the peer reset the
 * connection shortly after (a reset, rather than a normal close, means it had not read what it
 * was sent). Such a sandbox belongs to nobody.
 */
function watchDelivery(req: FastifyRequest, reply: FastifyReply, onLost: () => void): void {
  const res = reply.raw;
  const socket = req.raw.socket;
  let reported = false;
  const lose = () => {
    if (!reported) {
      reported = true;
      onLost();
    }
  };
  const onSocketClose = (hadError: boolean) => {
    if (hadError) lose();
  };
  res.once('close', () => {
    if (!res.writableFinished || !socket) return lose();
    if (socket.destroyed) return void (socket.errored ? lose() : undefined);
    socket.once('close', onSocketClose);
    setTimeout(() => socket.off('close', onSocketClose), DELIVERY_WINDOW_MS).unref();
  });
}

export function sessionRoutes(deps: { sessions: SessionService; labs: LabService; workshops?: WorkshopService }) {
  const { sessions, labs, workshops } = deps;
  return async (app: FastifyInstance) => {
    app.post('/api/sessions', { schema: { body: createSessionBody } }, async (req, reply) => {
      const body = req.body as CreateSessionBody;
      const lang = pickLang(body.lang, req.headers['accept-language']);
      if (body.lab && !(await labs.has(body.lab))) {
        throw new ApiError(400, 'unknown_lab', `body.lab: no lab with id "${body.lab}" (GET /api/labs lists them).`);
      }
      // A request whose connection already failed (reset, or a parse error later on it) makes
      // nothing. Two turns of the event loop let a reset that arrived with the request be read first.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (creatorGone(req)) throw new ApiError(400, 'client_gone', 'The connection closed before the session could be created.');
      // Admission counts this client address (MAX_SESSIONS_PER_CLIENT); a workshop join counts
      // against the workshop's seats instead (workshops/join.ts, core/admission.ts).
      if (body.workshop && !workshops) throw new ApiError(404, 'unknown_workshop', 'This runner has no workshops.');
      const joined = body.workshop && workshops ? await workshops.join(body.workshop, body.name, req.clientAddress, body.lab ?? null) : null;
      const { session, token } =
        joined ??
        (await sessions.create({
          lab: body.lab ?? null,
          workshop: null,
          name: body.name ?? null,
          lang,
          clientAddress: req.clientAddress,
        }));
      // A workshop join creates its session in workshops/join.ts; its language is set here.
      if (joined) sessions.setLang(session, lang);
      const lost = () => {
        req.log.warn({ session: session.id, client: req.clientAddress }, 'session token never reached its creator; removing the sandbox');
        sessions.delete(session).catch((err: unknown) => req.log.error({ session: session.id, err: errMessage(err) }, 'removing an unclaimed session failed'));
      };
      if (creatorGone(req)) {
        lost();
        throw new ApiError(400, 'client_gone', 'The connection closed before the session could be created.');
      }
      watchDelivery(req, reply, lost);
      return reply.code(201).send({
        id: session.id,
        token,
        expiresAt: new Date(session.expiresAt).toISOString(),
        lab: session.lab,
        state: session.state,
        lang: session.lang,
        ...(joined ? { workshop: joined.workshop } : {}),
      });
    });

    // Everything under /api/sessions/:id carries the session's token.
    await app.register(async (scope) => {
      requireSession(scope, sessions);
      const opts = { schema: { params: sessionParams } };
      scope.get('/api/sessions/:id', opts, async (req) => {
        const s = sessionOf(req);
        return { ...sessionView(s, sessions.queuePlace(s.id)), ...(workshops ? workshops.sessionExtras(s) : { name: s.name, workshop: null }) };
      });
      scope.patch('/api/sessions/:id', { schema: { params: sessionParams, body: patchSessionBody } }, async (req) => {
        const s = sessions.setLang(sessionOf(req), (req.body as PatchSessionBody).lang);
        return { ...sessionView(s), ...(workshops ? workshops.sessionExtras(s) : { name: s.name, workshop: null }) };
      });
      scope.post('/api/sessions/:id/extend', opts, async (req) => {
        const s: Session = sessions.extend(sessionOf(req));
        return { expiresAt: new Date(s.expiresAt).toISOString() };
      });
      scope.delete('/api/sessions/:id', opts, async (req, reply) => {
        await sessions.delete(sessionOf(req));
        return reply.code(204).send();
      });
      scope.get('/api/sessions/:id/terminal', opts, async () => {
        throw new ApiError(426, 'upgrade_required', 'The terminal is a WebSocket: connect with Upgrade: websocket.');
      });
    });
  };
}
