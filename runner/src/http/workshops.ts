/**
 * Workshop routes (API.md "Workshops", docs/api-extensions.md). Every call carries the
 * operator token or the workshop's instructor key (workshops/access.ts); the event stream
 * also takes it as ?token= (EventSource cannot set headers). Joining is POST /api/sessions
 * (sessions.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { StoredWorkshop } from '../store/workshops.ts';
import type { WorkshopService } from '../workshops/service.ts';
import { labId } from './schemas.ts';
import { createReadStream } from 'node:fs';
import { bearer, requireSession, sessionOf } from './session-auth.ts';

const createBody = z.object({
  title: z.string().trim().min(1).max(120),
  labs: z.array(labId).max(100).nullish(),
  seats: z.number().int().min(1).max(500).nullish(),
  reserve: z.number().int().min(0).max(100).nullish(),
  endsAt: z.string().max(64).nullish(),
});
// Shown in learners' terminals: no escape sequences or other control characters (line breaks are fine).
const broadcastBody = z.object({
  message: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .refine((m) => !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(m), 'must not contain control characters (line breaks are fine)'),
});
const closeHandsBody = broadcastBody.extend({ closeHands: z.boolean().optional() });
// Shown as text on the instructor's dashboard and the learner's page: plain, short, no control characters but line breaks.
const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((m) => !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/.test(m), 'must not contain control characters (line breaks are fine)');
const raiseBody = z.object({ message: plainText(280).nullish(), lab: labId.nullish() }).strict();
const replyBody = z.object({ message: plainText(500).pipe(z.string().min(1)) }).strict();
const recordingParams = z.object({ id: z.string(), session: z.string(), recording: z.string().max(100) });
const sessionIdParams = z.object({ id: z.string().max(200) });
// Ids are looked up only after the token was checked (an unknown id is 404 after auth).
const idParams = z.object({ id: z.string() });
const learnerParams = z.object({ id: z.string(), session: z.string() });
const labParams = z.object({ id: z.string(), session: z.string(), lab: labId });
const checksQuery = z.object({ lab: labId.optional(), token: z.string().optional() });

type Req = FastifyRequest<{ Params: { id: string; session?: string; lab?: string }; Querystring: { token?: string; lab?: string } }>;

/** The origin the caller used (for the join and dashboard links). */
function originOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

export function workshopRoutes(deps: { workshops: WorkshopService }) {
  const { workshops } = deps;
  const open = (req: Req, allowQuery = false): StoredWorkshop => {
    const token = bearer(req) ?? (allowQuery ? req.query.token : undefined);
    return workshops.authorize(token, req.params.id)!;
  };
  return async (app: FastifyInstance) => {
    app.post('/api/workshops', { schema: { body: createBody } }, async (req, reply) => {
      workshops.authorize(bearer(req), null);
      const created = await workshops.create(req.body as z.infer<typeof createBody>, originOf(req));
      return reply.code(201).send(created);
    });
    app.get('/api/workshops', async (req) => {
      workshops.authorize(bearer(req), null);
      return workshops.list();
    });

    const byId = { schema: { params: idParams } };
    app.get('/api/workshops/:id', byId, async (req: Req) => {
      const w = open(req);
      return { ...workshops.view(w), ...workshops.urls(w, originOf(req)) };
    });
    app.delete('/api/workshops/:id', byId, async (req: Req, reply: FastifyReply) => {
      await workshops.end(open(req));
      return reply.code(204).send();
    });
    app.get('/api/workshops/:id/progress', byId, async (req: Req) => workshops.progress(open(req)));
    app.get('/api/workshops/:id/results.json', byId, async (req: Req) => workshops.results(open(req)));
    app.get('/api/workshops/:id/results.csv', byId, async (req: Req, reply: FastifyReply) => {
      const w = open(req);
      const r = await workshops.results(w);
      const { resultsCsv } = await import('../workshops/results.ts');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="workshop-${w.code}.csv"`)
        .send(resultsCsv(r.labs, r.learners, r.help));
    });
    app.post('/api/workshops/:id/broadcast', { schema: { params: idParams, body: closeHandsBody } }, async (req: Req) => {
      const body = req.body as z.infer<typeof closeHandsBody>;
      return workshops.broadcast(open(req), body.message, body.closeHands ?? false);
    });
    // Help in the room (docs/api-extensions.md "Help in the room"); outside workshops: the operator's contact.
    app.get('/api/help/contact', async () => ({ contact: workshops.room.helpContact() }));
    app.get('/api/workshops/:id/help', byId, async (req: Req) => workshops.room.helpQueue(open(req)));
    app.post('/api/workshops/:id/learners/:session/help/reply', { schema: { params: learnerParams, body: replyBody } }, async (req: Req) =>
      workshops.room.replyHelp(open(req), req.params.session!, (req.body as z.infer<typeof replyBody>).message),
    );
    app.post('/api/workshops/:id/learners/:session/help/helped', { schema: { params: learnerParams } }, async (req: Req) => workshops.room.markHelped(open(req), req.params.session!));
    app.get('/api/workshops/:id/log', byId, async (req: Req) => workshops.room.workshopLog(open(req)));
    app.get('/api/workshops/:id/recordings', byId, async (req: Req) => workshops.room.recordingsOf(open(req)));
    app.get('/api/workshops/:id/learners/:session/recordings', { schema: { params: learnerParams } }, async (req: Req) => workshops.room.recordingsOf(open(req), req.params.session!));
    app.get('/api/workshops/:id/learners/:session/recordings/:recording', { schema: { params: recordingParams } }, async (req: Req, reply: FastifyReply) => {
      const w = open(req);
      const rec = (req.params as unknown as { recording: string }).recording.replace(/\.cast$/, '');
      if (!rec.startsWith(`${req.params.session}.`)) return reply.code(404).send({ error: { code: 'unknown_recording', message: 'No such recording of this learner.' } });
      const file = workshops.room.recordingFile(w, rec);
      return reply.type('application/x-asciicast').header('cache-control', 'no-store').send(createReadStream(file));
    });
    // The learner's side: their own hand, with their session token.
    await app.register(async (scope) => {
      requireSession(scope, workshops.sessions);
      const opts = { schema: { params: sessionIdParams } };
      scope.get('/api/sessions/:id/help', opts, async (req) => workshops.room.helpState(sessionOf(req)));
      scope.post('/api/sessions/:id/help', { schema: { params: sessionIdParams, body: raiseBody } }, async (req, reply) =>
        reply.code(201).send(workshops.room.raiseHand(sessionOf(req), req.body as z.infer<typeof raiseBody>)),
      );
      scope.delete('/api/sessions/:id/help', opts, async (req) => workshops.room.lowerHand(sessionOf(req)));
    });
    app.post('/api/workshops/:id/extend', byId, async (req: Req) => workshops.extendAll(open(req)));
    app.post('/api/workshops/:id/learners/:session/labs/:lab/start', { schema: { params: labParams } }, async (req: Req) =>
      workshops.resetLab(open(req), req.params.session!, req.params.lab!),
    );
    app.get('/api/workshops/:id/learners/:session/checks', { schema: { params: learnerParams, querystring: checksQuery } }, async (req: Req) =>
      workshops.lastChecks(open(req), req.params.session!, req.query.lab),
    );
    app.get('/api/workshops/:id/events', byId, async (req: Req, reply: FastifyReply) => {
      const w = open(req, true);
      // 204 tells EventSource to stop reconnecting: nothing more will happen in an ended workshop.
      if (!workshops.isOpen(w)) return reply.code(204).send();
      reply.hijack();
      workshops.streams.open(w.id, reply.raw);
    });
  };
}
