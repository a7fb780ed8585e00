/**
 * Names and Role Provisioning Services 2.0: the course roster, where the platform offers it
 * (the namesroleservice claim). Used for the workshop's seats and for "who has not started".
 */
import { z } from 'zod';
import { SCOPE_NRPS } from './claims.ts';
import type { Registration } from '../store/lti.ts';
import { HTTP_TIMEOUT_MS, PlatformError, type TokenCache } from './token.ts';

export const NRPS_MEDIA_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';

const member = z.object({
  user_id: z.string().max(255),
  roles: z.array(z.string().max(300)).max(100).default([]),
  status: z.string().max(40).optional(),
  name: z.string().max(300).optional(),
  email: z.string().max(300).optional(),
}).loose();
const container = z.object({ members: z.array(member).max(10_000) }).loose();
export type Member = z.infer<typeof member>;

const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';

/** The active members (first page: up to the platform's page size; next pages via Link rel=next, at most 20). */
export async function fetchRoster(tokens: TokenCache, reg: Registration, url: string): Promise<Member[]> {
  const token = await tokens.token(reg, [SCOPE_NRPS]);
  const out: Member[] = [];
  let next: string | null = url;
  for (let page = 0; next && page < 20; page++) {
    let res: Response;
    try {
      res = await fetch(next, { headers: { authorization: `Bearer ${token}`, accept: NRPS_MEDIA_TYPE }, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (err) {
      throw new PlatformError(`roster: ${(err as Error).message}`, 0);
    }
    if (!res.ok) throw new PlatformError(`roster answered ${res.status}`, res.status);
    const body = container.parse(JSON.parse((await res.text()).slice(0, 8 * 1024 * 1024)));
    out.push(...body.members.filter((m) => m.status === undefined || m.status === 'Active'));
    const link = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(res.headers.get('link') ?? '');
    // Only pages of the same service (never a URL elsewhere).
    next = link && new URL(link[1]!, next).origin === new URL(url).origin ? new URL(link[1]!, next).toString() : null;
  }
  return out;
}

export const isLearner = (m: Member) => m.roles.some((r) => r === LEARNER || r === 'Learner' || r.endsWith('membership#Learner'));
