/**
 * The two secrets of workshops: the operator token (INSTRUCTOR_TOKEN, else made at the first
 * start and kept in DATA_DIR, mode 0600) and per-workshop instructor keys (256 random bits;
 * only their sha256 is stored). Compared in constant time; never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { hashToken, tokenMatches } from '../core/ids.ts';

export const OPERATOR_TOKEN_MIN = 16;

export function operatorTokenPath(config: Pick<Config, 'dataDir' | 'runnerId'>): string {
  return join(config.dataDir, `${config.runnerId}.operator-token`);
}

export interface OperatorToken {
  hash: Buffer;
  /** Where the token was read from: 'environment' or the file path. */
  source: string;
  created: boolean;
}

/** INSTRUCTOR_TOKEN, or the token file (made now with a fresh token if there is none). */
export function loadOperatorToken(config: Pick<Config, 'dataDir' | 'runnerId' | 'instructorToken'>): OperatorToken {
  if (config.instructorToken) return { hash: hashToken(config.instructorToken), source: 'environment', created: false };
  const path = operatorTokenPath(config);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= OPERATOR_TOKEN_MIN) return { hash: hashToken(token), source: path, created: false };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { hash: hashToken(token), source: path, created: true };
}

/** The operator token for a client on this machine (the CLI): INSTRUCTOR_TOKEN or the file. */
export function readOperatorToken(config: Pick<Config, 'dataDir' | 'runnerId' | 'instructorToken'>): string | null {
  if (config.instructorToken) return config.instructorToken;
  const path = operatorTokenPath(config);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || null : null;
}

export function removeOperatorToken(config: Pick<Config, 'dataDir' | 'runnerId'>): void {
  rmSync(operatorTokenPath(config), { force: true });
}

export function newInstructorKey(): { key: string; hash: Buffer } {
  const key = randomBytes(32).toString('base64url');
  return { key, hash: hashToken(key) };
}

export { hashToken, tokenMatches };
