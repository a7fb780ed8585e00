/**
 * OAuth 2 client credentials for the platform's services (AGS, NRPS; 1EdTech Security
 * Framework §4.1): a JWT assertion signed with the tool key (iss = sub = client id, aud = the
 * token URL, short exp, unique jti), exchanged for a bearer token that is cached until shortly
 * before it expires. `forget` drops a token the platform refused (401).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { ToolKeys } from './keys.ts';
import type { Registration } from '../store/lti.ts';

const tokenAnswer = z.object({ access_token: z.string().min(1).max(8000), expires_in: z.coerce.number().positive().optional(), token_type: z.string().optional() });

export class PlatformError extends Error {
  /** HTTP status, or 0 when the platform did not answer. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export const HTTP_TIMEOUT_MS = 10_000;

export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly asking = new Map<string, Promise<string>>();
  private readonly keys: ToolKeys;
  constructor(keys: ToolKeys) {
    this.keys = keys;
  }

  private keyOf(reg: Registration, scopes: string[]) {
    return `${reg.id} ${[...scopes].sort().join(' ')}`;
  }

  forget(reg: Registration, scopes: string[]): void {
    this.tokens.delete(this.keyOf(reg, scopes));
  }

  /** A cached token, or one asked for now (one request at a time per platform and scopes). */
  token(reg: Registration, scopes: string[]): Promise<string> {
    const k = this.keyOf(reg, scopes);
    const hit = this.tokens.get(k);
    if (hit && hit.expiresAt > Date.now()) return Promise.resolve(hit.token);
    let asking = this.asking.get(k);
    if (!asking) {
      asking = this.ask(reg, scopes, k).finally(() => this.asking.delete(k));
      this.asking.set(k, asking);
    }
    return asking;
  }

  private async ask(reg: Registration, scopes: string[], k: string): Promise<string> {
    const { kid, key } = this.keys.signing;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(reg.clientId)
      .setSubject(reg.clientId)
      .setAudience(reg.audience ?? reg.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: [...scopes].sort().join(' '),
    });
    let res: Response;
    try {
      res = await fetch(reg.tokenUrl, { method: 'POST', body, headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (err) {
      throw new PlatformError(`token endpoint: ${(err as Error).message}`, 0);
    }
    const text = (await res.text().catch(() => '')).slice(0, 16_000);
    if (!res.ok) throw new PlatformError(`token endpoint answered ${res.status}`, res.status);
    let parsed;
    try {
      parsed = tokenAnswer.parse(JSON.parse(text));
    } catch {
      throw new PlatformError('token endpoint answered something that is not a token', 502);
    }
    // Refreshed a minute early (never less than half its life): a token never runs out mid-request.
    const life = (parsed.expires_in ?? 3600) * 1000;
    this.tokens.set(k, { token: parsed.access_token, expiresAt: Date.now() + Math.max(life / 2, life - 60_000) });
    return parsed.access_token;
  }
}
