/**
 * A session as the store keeps it: a leaf both the Store interface (types.ts) and the workshop
 * tables (workshops.ts) read, so neither imports the other's file to get it.
 */

export type StoredState = 'starting' | 'ready' | 'stopped';

export interface StoredSession {
  id: string;
  /** sha256 of the token; the token itself is never stored. */
  tokenHash: Buffer;
  clientAddress: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  state: StoredState;
  stopReason: string | null;
  error: string | null;
  lab: string | null;
  workshop: string | null;
  name: string | null;
  /** The language of check messages and quiz explanations ('ru' | 'en'). */
  lang: 'ru' | 'en';
  fromPool: boolean;
  readyAt: number | null;
  stoppedAt: number | null;
}
