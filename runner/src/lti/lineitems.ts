/**
 * A resource link that came without its own line item (made by hand in the LMS, or a course
 * navigation link) but with the line items service (AGS 2.0 §3.2, scope lineitem): the tool
 * finds its line item for this link and lab (resourceLinkId + resourceId + tag) or makes one
 * with the lab's score maximum. Best effort, after the launch answered: a platform that says no
 * leaves the link ungraded (logged).
 */
import { z } from 'zod';
import { errMessage, type Logger } from '../core/log.ts';
import type { LtiStore, Registration } from '../store/lti.ts';
import { LINE_ITEM_TAG } from './deep-linking.ts';
import { HTTP_TIMEOUT_MS, PlatformError, type TokenCache } from './token.ts';

export const SCOPE_LINEITEM = 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem';
const CONTAINER = 'application/vnd.ims.lis.v2.lineitemcontainer+json';
const ITEM = 'application/vnd.ims.lis.v2.lineitem+json';

const lineItem = z.object({ id: z.string().max(2000), resourceId: z.string().max(255).optional(), resourceLinkId: z.string().max(255).optional(), tag: z.string().max(255).optional() }).loose();

export interface LineItemWanted {
  registration: Registration;
  lineitems: string;
  resourceLinkId: string;
  key: string;
  label: string;
  scoreMaximum: number;
  userId: string;
  contextId: string;
}

async function request(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (err) {
    throw new PlatformError(`line items: ${errMessage(err)}`, 0);
  }
  const text = (await res.text()).slice(0, 4 * 1024 * 1024);
  if (!res.ok) throw new PlatformError(`line items answered ${res.status}`, res.status);
  return JSON.parse(text);
}

export async function findOrCreateLineItem(store: LtiStore, tokens: TokenCache, log: Logger, w: LineItemWanted): Promise<string | null> {
  try {
    const token = await tokens.token(w.registration, [SCOPE_LINEITEM]);
    const auth = { authorization: `Bearer ${token}` };
    const u = new URL(w.lineitems);
    u.searchParams.set('resource_link_id', w.resourceLinkId);
    u.searchParams.set('tag', LINE_ITEM_TAG);
    const found = z.array(lineItem).max(1000).parse(await request(u.toString(), { headers: { ...auth, accept: CONTAINER } }));
    let id = found.find((i) => i.resourceId === w.key && (i.resourceLinkId === undefined || i.resourceLinkId === w.resourceLinkId))?.id;
    if (!id) {
      const made = lineItem.parse(
        await request(w.lineitems, {
          method: 'POST',
          headers: { ...auth, 'content-type': ITEM, accept: ITEM },
          body: JSON.stringify({ scoreMaximum: w.scoreMaximum, label: w.label, resourceId: w.key, tag: LINE_ITEM_TAG, resourceLinkId: w.resourceLinkId }),
        }),
      );
      id = made.id;
    }
    if (!/^https?:\/\//i.test(id)) throw new PlatformError('the line item has no URL id', 502);
    store.setTarget(w.userId, w.contextId, w.key, id);
    return id;
  } catch (err) {
    log.warn({ key: w.key, err: errMessage(err) }, 'lti: no line item for this link; its scores are not sent');
    return null;
  }
}
