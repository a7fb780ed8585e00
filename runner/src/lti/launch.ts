/**
 * Verifies the id_token the platform posts to /lti/launch (LTI Core 1.3 §5.1.3): the state we
 * issued (used once), the signature against the platform's JWKS, iss, aud (our client id),
 * azp, exp and iat with a small skew, the nonce (ours, used once), the deployment id (one we
 * registered), message type and version. Every failure is a Refusal with its own code.
 */
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { baseClaims, LTI } from './claims.ts';
import { Refusal } from './pages.ts';
import type { LtiStore, Registration } from '../store/lti.ts';

export const CLOCK_SKEW_S = 60;
/** An id_token older than this (by iat) is refused even when its exp is later. */
const MAX_AGE_S = 10 * 60;
const MESSAGE_TYPES = ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface VerifiedLaunch {
  registration: Registration;
  deployment: string;
  messageType: MessageType;
  payload: JWTPayload & Record<string, unknown>;
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function platformKeys(url: string) {
  let set = jwksCache.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 10_000, cacheMaxAge: 10 * 60_000 });
    jwksCache.set(url, set);
  }
  return set;
}

/** The token's claims without verifying them: only for choosing the language of a refusal page. */
export function peekLocale(token: unknown): string | undefined {
  try {
    const p = decodeJwt(String(token)) as Record<string, any>;
    const locale = p[`${LTI}launch_presentation`]?.locale;
    return typeof locale === 'string' ? locale.slice(0, 40) : undefined;
  } catch {
    return undefined;
  }
}

function refusalOf(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof joseErrors.JWTExpired) return new Refusal('expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iat') return new Refusal('expired');
    if (err.reason === 'missing') return new Refusal('missing_claim', err.claim);
    return new Refusal('wrong_claim', err.claim);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) return new Refusal('bad_signature');
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) return new Refusal('bad_signature');
  // The JWKS could not be fetched (timeout, refused connection, 5xx, not JSON).
  return new Refusal('platform_down');
}

export async function verifyLaunch(store: LtiStore, form: { id_token?: unknown; state?: unknown }): Promise<VerifiedLaunch> {
  if (typeof form.state !== 'string' || form.state.length > 200) throw new Refusal('bad_request', 'state');
  if (typeof form.id_token !== 'string' || form.id_token.length > 64 * 1024) throw new Refusal('bad_request', 'id_token');
  const st = store.takeState(form.state);
  if (!st) throw new Refusal('replayed');
  const reg = store.registration(st.registration);
  if (!reg) throw new Refusal('unknown_platform');
  let payload: JWTPayload & Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(form.id_token, platformKeys(reg.jwksUrl), {
      issuer: reg.issuer,
      audience: reg.clientId,
      clockTolerance: CLOCK_SKEW_S,
      maxTokenAge: MAX_AGE_S,
      requiredClaims: ['exp', 'iat', 'nonce'],
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
    }));
  } catch (err) {
    throw refusalOf(err);
  }
  // iat in the future beyond the skew: jose's maxTokenAge allows it; we do not.
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_SKEW_S) throw new Refusal('expired');
  const base = baseClaims.safeParse(payload);
  if (!base.success) throw new Refusal('missing_claim', base.error.issues[0]?.path.join('.') ?? '');
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.azp !== undefined && payload.azp !== reg.clientId) throw new Refusal('wrong_claim', 'azp');
  if (aud.length > 1 && payload.azp === undefined) throw new Refusal('missing_claim', 'azp');
  if (payload.nonce !== st.nonce) throw new Refusal('replayed');
  if (!store.useNonce(String(payload.nonce), (Number(payload.exp) + CLOCK_SKEW_S) * 1000)) throw new Refusal('replayed');
  const deployment = String(payload[`${LTI}deployment_id`]);
  if (!reg.deployments.includes(deployment)) throw new Refusal('unknown_deployment');
  if (payload[`${LTI}version`] !== '1.3.0') throw new Refusal('wrong_claim', `${LTI}version`);
  const messageType = payload[`${LTI}message_type`] as MessageType;
  if (!MESSAGE_TYPES.includes(messageType)) throw new Refusal('wrong_claim', `${LTI}message_type`);
  return { registration: reg, deployment, messageType, payload };
}
