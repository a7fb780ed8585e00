/** The sessions in memory, by id: lookup, authentication, counts. */
import { ApiError, notFound } from './errors.ts';
import { ID_PATTERN, tokenMatches } from './ids.ts';
import { countRecords, type SessionRecord } from './records.ts';
import type { Session } from './session-model.ts';

export class SessionRegistry {
  private readonly records = new Map<string, SessionRecord>();

  add(rec: SessionRecord): void {
    this.records.set(rec.session.id, rec);
  }

  forget(rec: SessionRecord): void {
    if (this.records.get(rec.session.id) === rec) this.records.delete(rec.session.id);
  }

  record(id: string): SessionRecord | undefined {
    return this.records.get(id);
  }

  all(): SessionRecord[] {
    return [...this.records.values()];
  }

  /** Live sessions (starting or ready) of a workshop. */
  ofWorkshop(workshop: string): number {
    let n = 0;
    for (const { session } of this.records.values()) if (session.workshop === workshop && session.state !== 'stopped') n++;
    return n;
  }

  counts(client?: string) {
    return countRecords(this.records.values(), client);
  }

  /** The session if the token matches: 404 unknown id, 401 missing or wrong token. */
  authenticate(id: string, token: string | undefined | null): Session {
    const rec = typeof id === 'string' && ID_PATTERN.test(id) ? this.records.get(id) : undefined;
    if (!rec) throw notFound('session', String(id));
    if (!token) throw new ApiError(401, 'missing_token', 'This call needs the session token: Authorization: Bearer <token> (or ?token= for the terminal).');
    if (!tokenMatches(token, rec.tokenHash)) throw new ApiError(401, 'wrong_token', 'The token does not belong to this session.');
    return rec.session;
  }

  /** Stops every timer and forgets every session (the runner stops). */
  clear(): void {
    for (const rec of this.records.values()) rec.timers.dispose();
    this.records.clear();
  }
}
