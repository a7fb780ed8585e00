/**
 * Registered platforms (an LMS: issuer, client id, deployment ids, its OIDC auth, token and
 * JWKS URLs). Added by the operator (`npm run lti -- add`, or POST /lti/registrations with the
 * operator token); a launch from anything not registered is refused.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { LtiStore, Registration } from '../store/lti.ts';

const url = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

export const registrationInput = z.object({
  issuer: z.string().trim().min(1).max(500),
  clientId: z.string().trim().min(1).max(500),
  deployments: z.array(z.string().trim().min(1).max(255)).min(1).max(100),
  authUrl: url,
  tokenUrl: url,
  jwksUrl: url,
  audience: z.string().trim().min(1).max(2000).nullish(),
});
export type RegistrationInput = z.infer<typeof registrationInput>;

export class DuplicateRegistration extends Error {}

export function addRegistration(store: LtiStore, input: RegistrationInput): Registration {
  const r: Registration = {
    id: randomBytes(9).toString('base64url'),
    issuer: input.issuer,
    clientId: input.clientId,
    deployments: [...new Set(input.deployments)],
    authUrl: input.authUrl,
    tokenUrl: input.tokenUrl,
    jwksUrl: input.jwksUrl,
    audience: input.audience ?? null,
    createdAt: Date.now(),
  };
  try {
    store.addRegistration(r);
  } catch (err) {
    if (/UNIQUE/i.test((err as Error).message)) throw new DuplicateRegistration(`${r.issuer} with client id ${r.clientId} is already registered`);
    throw err;
  }
  return r;
}

/** The origins of registered platforms (for frame-ancestors): their issuer and auth URL origins. */
export function platformOrigins(store: LtiStore): string[] {
  const out = new Set<string>();
  for (const r of store.registrations()) {
    for (const u of [r.issuer, r.authUrl]) {
      try {
        const o = new URL(u).origin;
        if (o !== 'null' && /^[a-z0-9.:\[\]/-]+$/i.test(o)) out.add(o);
      } catch {
        /* an issuer need not be a URL */
      }
    }
  }
  return [...out];
}

export const registrationView = (r: Registration) => ({
  id: r.id,
  issuer: r.issuer,
  clientId: r.clientId,
  deployments: r.deployments,
  authUrl: r.authUrl,
  tokenUrl: r.tokenUrl,
  jwksUrl: r.jwksUrl,
  audience: r.audience,
  createdAt: new Date(r.createdAt).toISOString(),
});
