/**
 * The LTI routes (docs/api-extensions.md "LTI 1.3"): /lti/jwks, /lti/config, /lti/login (GET
 * and POST), /lti/launch, /lti/deep-linking, the operator's /lti/registrations and key
 * rotation, and a course workshop's /lti/workshops/:id (roster, pending scores). The LMS posts
 * forms (application/x-www-form-urlencoded); a refusal is an HTML page in the learner's
 * language, never a JSON error in an iframe.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../core/errors.ts';
import { errMessage } from '../core/log.ts';
import { bearer } from '../http/session-auth.ts';
import { pickLang } from '../../../checks/messages.ts';
import { labCatalog } from './catalog.ts';
import { langOfLocale } from './claims.ts';
import { pickBody } from './deep-linking.ts';
import { peekLocale, verifyLaunch } from './launch.ts';
import { loginRedirect } from './oidc.ts';
import { autoPostPage, Refusal, refusalPage, type Lang } from './pages.ts';
import { addRegistration, DuplicateRegistration, registrationInput, registrationView } from './registrations.ts';
import type { LtiService } from './service.ts';

const FORM_LIMIT = 96 * 1024;

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(body);
}

/** Form fields: one value per name, except repeated names (checkboxes) become arrays. */
function formFields(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function ltiRoutes(lti: LtiService) {
  const { workshops } = lti.deps;
  return async (app: FastifyInstance) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
      done(null, formFields(String(body)));
    });
    const originOf = (req: FastifyRequest) => lti.origin(`${req.protocol}://${req.headers.host ?? 'localhost'}`);
    const langOf = (req: FastifyRequest, locale?: string | null): Lang => langOfLocale(locale) ?? pickLang(undefined, req.headers['accept-language']);
    const refuse = (req: FastifyRequest, reply: FastifyReply, err: unknown, lang: Lang) => {
      const r = err instanceof Refusal ? err : new Refusal('unavailable', 'internal error');
      if (!(err instanceof Refusal)) req.log.error({ err: errMessage(err) }, 'lti: launch failed');
      else req.log.warn({ refusal: r.code, detail: r.detail }, 'lti: launch refused');
      return html(reply, r.status, refusalPage(lang, r));
    };

    app.get('/lti/jwks', async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(lti.keys.jwks()));

    app.get('/lti/config', async (req) => {
      const o = originOf(req);
      return {
        title: 'Registry Lab',
        loginUrl: `${o}/lti/login`,
        launchUrl: `${o}/lti/launch`,
        redirectUris: [`${o}/lti/launch`],
        deepLinkingUrl: `${o}/lti/launch`,
        jwksUrl: `${o}/lti/jwks`,
        domain: new URL(o).host,
        scopes: ['https://purl.imsglobal.org/spec/lti-ags/scope/lineitem', 'https://purl.imsglobal.org/spec/lti-ags/scope/score', 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly'],
        messages: ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'],
        customParameters: { lab: 'a lab id (GET /api/labs), set by deep linking' },
      };
    });

    const login = async (req: FastifyRequest, reply: FastifyReply) => {
      const params = { ...(req.query as object), ...(typeof req.body === 'object' && req.body ? (req.body as object) : {}) };
      const lang = langOf(req);
      try {
        return reply.header('cache-control', 'no-store').redirect(loginRedirect(lti.store, params, `${originOf(req)}/lti/launch`, lang), 302);
      } catch (err) {
        return refuse(req, reply, err, lang);
      }
    };
    app.get('/lti/login', login);
    app.post('/lti/login', login);

    app.post('/lti/launch', async (req, reply) => {
      const form = (typeof req.body === 'object' && req.body ? req.body : {}) as Record<string, unknown>;
      let lang = langOf(req, peekLocale(form.id_token));
      try {
        if (typeof form.error === 'string') throw new Refusal('bad_request', `the platform said ${String(form.error).slice(0, 80)}`);
        const v = await verifyLaunch(lti.store, form);
        lang = langOf(req, (v.payload['https://purl.imsglobal.org/spec/lti/claim/launch_presentation'] as { locale?: string } | undefined)?.locale);
        return html(reply, 200, await lti.afterLaunch(v, originOf(req), req.clientAddress, lang));
      } catch (err) {
        return refuse(req, reply, err, lang);
      }
    });
    app.get('/lti/launch', async (req, reply) => refuse(req, reply, new Refusal('bad_request', 'a launch is a POST from the LMS'), langOf(req)));

    app.post('/lti/deep-linking', async (req, reply) => {
      let lang = langOf(req);
      try {
        const body = pickBody.safeParse(req.body);
        if (!body.success) throw new Refusal('bad_request', body.error.issues[0]?.path.join('.') ?? 'body');
        const r = await lti.deepLinking.respond(lti.keys, body.data, labCatalog(lti.deps.config.labsDir), lti.sections(), originOf(req));
        lang = r.lang;
        return html(reply, 200, autoPostPage(r.lang, r.returnUrl, { JWT: r.jwt }));
      } catch (err) {
        return refuse(req, reply, err, lang);
      }
    });

    // --- operator: registrations and keys (operator token) ----------------------------------
    const operator = (req: FastifyRequest) => workshops.authorize(bearer(req), null);
    app.get('/lti/registrations', async (req) => {
      operator(req);
      return lti.store.registrations().map(registrationView);
    });
    app.post('/lti/registrations', { schema: { body: registrationInput } }, async (req, reply) => {
      operator(req);
      try {
        return reply.code(201).send(registrationView(addRegistration(lti.store, req.body as z.infer<typeof registrationInput>)));
      } catch (err) {
        if (err instanceof DuplicateRegistration) throw new ApiError(409, 'already_registered', err.message);
        throw err;
      }
    });
    app.delete('/lti/registrations/:id', { schema: { params: z.object({ id: z.string().max(100) }) } }, async (req, reply) => {
      operator(req);
      if (!lti.store.removeRegistration((req.params as { id: string }).id)) throw new ApiError(404, 'unknown_registration', 'No such registration.');
      return reply.code(204).send();
    });
    app.post('/lti/keys/rotate', async (req) => {
      operator(req);
      return { kid: await lti.keys.rotate(), jwks: lti.keys.jwks() };
    });

    // --- a course workshop: roster and scores (operator token or the workshop's key) -------
    app.get('/lti/workshops/:id', { schema: { params: z.object({ id: z.string().max(100) }) } }, async (req) => {
      const w = workshops.authorize(bearer(req), (req.params as { id: string }).id)!;
      return lti.workshopStatus(w.id);
    });
  };
}
