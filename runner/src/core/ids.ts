/**
 * Session ids and tokens: random, their hashes, their constant-time comparison and the id pattern of URLs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A sandbox / session id: 18 random bytes (144 bits), base64url (24 characters). */
export function newSandboxId(): string {
  return randomBytes(18).toString('base64url');
}

/** A session token: 32 random bytes (256 bits), base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of a presented token with the stored hash. */
export function tokenMatches(presented: unknown, storedHash: Buffer): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
  return timingSafeEqual(hashToken(presented), storedHash);
}

/** Ids accepted in URLs (anything else is an unknown id without looking it up). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
