/**
 * Third-party initiated login (LTI Core 1.3 §5.1.1, OIDC): the platform sends iss,
 * login_hint, target_link_uri (and lti_message_hint, client_id, lti_deployment_id) by GET or
 * POST; the tool answers with a redirect to the platform's auth URL carrying a fresh `state`
 * and `nonce`. Both are kept server-side (SQLite, 10 minutes, used once) instead of in a
 * cookie, so the round trip works in an iframe where third-party cookies are blocked.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Refusal, type Lang } from './pages.ts';
import type { LtiStore } from '../store/lti.ts';

export const STATE_TTL_MS = 10 * 60_000;

export const loginParams = z.object({
  iss: z.string().min(1).max(500),
  login_hint: z.string().min(1).max(2000),
  target_link_uri: z.string().min(1).max(2000),
  lti_message_hint: z.string().max(4000).optional(),
  client_id: z.string().max(500).optional(),
  lti_deployment_id: z.string().max(255).optional(),
});

/** The URL of the platform's auth endpoint to redirect the browser to. */
export function loginRedirect(store: LtiStore, raw: unknown, launchUrl: string, lang: Lang): string {
  const parsed = loginParams.safeParse(raw);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || 'iss';
    throw new Refusal('bad_request', `${field} is missing or too long`);
  }
  const p = parsed.data;
  const reg = store.findRegistration(p.iss, p.client_id || null);
  if (!reg) throw new Refusal('unknown_platform');
  if (p.lti_deployment_id && !reg.deployments.includes(p.lti_deployment_id)) throw new Refusal('unknown_deployment');
  const state = randomBytes(32).toString('base64url');
  const nonce = randomBytes(32).toString('base64url');
  if (!store.saveState({ state, nonce, registration: reg.id, lang, expiresAt: Date.now() + STATE_TTL_MS })) throw new Refusal('unavailable', 'too many logins at once');
  const u = new URL(reg.authUrl);
  const q: Record<string, string> = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: reg.clientId,
    redirect_uri: launchUrl,
    login_hint: p.login_hint,
    state,
    nonce,
  };
  if (p.lti_message_hint) q.lti_message_hint = p.lti_message_hint;
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return u.toString();
}
