/**
 * Deep Linking 2.0: a LtiDeepLinkingRequest opens a picker of the labs; the choice comes back
 * as a LtiDeepLinkingResponse JWT (signed with the tool key, iss = client id, aud = the
 * platform) with one ltiResourceLink per lab: title, our launch URL, custom {lab}, and a line
 * item whose scoreMaximum is the lab's required criteria. The picker's ticket (one use, 30
 * minutes) carries what the request said; it stays in memory (a restart means "add again").
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { DL_SETTINGS, LTI, type DeepLinkingClaims } from './claims.ts';
import type { CatalogLab } from './catalog.ts';
import { quizKey, type QuizSection } from './quiz-sections.ts';
import type { ToolKeys } from './keys.ts';
import { Refusal, type Lang } from './pages.ts';
import type { Registration } from '../store/lti.ts';

const TICKET_TTL_MS = 30 * 60_000;
export const LINE_ITEM_TAG = 'registry-lab';

interface Ticket {
  registration: Registration;
  deployment: string;
  returnUrl: string;
  data: string | undefined;
  multiple: boolean;
  lang: Lang;
  expiresAt: number;
}

export const pickBody = z.object({
  ticket: z.string().min(1).max(200),
  lab: z.union([z.string().max(64), z.array(z.string().max(64)).max(100)]).optional(),
});

export class DeepLinking {
  private readonly tickets = new Map<string, Ticket>();

  /** A ticket for the picker, from a verified LtiDeepLinkingRequest. */
  open(registration: Registration, deployment: string, claims: DeepLinkingClaims, lang: Lang): { ticket: string; multiple: boolean } {
    const s = claims[DL_SETTINGS];
    if (!s.accept_types.includes('ltiResourceLink')) throw new Refusal('wrong_claim', `${DL_SETTINGS}.accept_types`);
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expiresAt < now) this.tickets.delete(k);
    const ticket = randomBytes(32).toString('base64url');
    const multiple = s.accept_multiple !== false;
    this.tickets.set(ticket, { registration, deployment, returnUrl: s.deep_link_return_url, data: s.data, multiple, lang, expiresAt: now + TICKET_TTL_MS });
    return { ticket, multiple };
  }

  /** The signed response for the chosen labs, and where to post it. */
  async respond(keys: ToolKeys, body: z.infer<typeof pickBody>, catalog: CatalogLab[], sections: QuizSection[], origin: string): Promise<{ returnUrl: string; jwt: string; lang: Lang; count: number }> {
    const t = this.tickets.get(body.ticket);
    this.tickets.delete(body.ticket);
    if (!t || t.expiresAt < Date.now()) throw new Refusal('replayed');
    const chosen = [...new Set(Array.isArray(body.lab) ? body.lab : body.lab ? [body.lab] : [])];
    const quizWord = t.lang === 'en' ? 'Quiz' : 'Тест';
    const picks = chosen.map((id) => {
      const lab = catalog.find((l) => l.id === id);
      if (lab) return { title: lab.title[t.lang], custom: { lab: lab.id }, max: lab.required, resourceId: lab.id };
      const s = sections.find((x) => quizKey(x.id) === id);
      if (s) return { title: `${quizWord}: ${s.title[t.lang]}`, custom: { section: s.id }, max: s.questions.length, resourceId: quizKey(s.id) };
      return null;
    });
    if (picks.some((p) => !p)) throw new Refusal('unknown_lab');
    const items = (t.multiple ? picks : picks.slice(0, 1)).map((p) => ({
      type: 'ltiResourceLink',
      title: p!.title,
      url: `${origin}/lti/launch`,
      custom: p!.custom,
      lineItem: { scoreMaximum: p!.max, label: p!.title, resourceId: p!.resourceId, tag: LINE_ITEM_TAG },
    }));
    const { kid, key } = keys.signing;
    const jwt = await new SignJWT({
      nonce: randomBytes(16).toString('base64url'),
      [`${LTI}message_type`]: 'LtiDeepLinkingResponse',
      [`${LTI}version`]: '1.3.0',
      [`${LTI}deployment_id`]: t.deployment,
      'https://purl.imsglobal.org/spec/lti-dl/claim/content_items': items,
      ...(t.data !== undefined ? { 'https://purl.imsglobal.org/spec/lti-dl/claim/data': t.data } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(t.registration.clientId)
      .setAudience(t.registration.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    return { returnUrl: t.returnUrl, jwt, lang: t.lang, count: items.length };
  }
}
