/** The LTI 1.3 claims the tool reads (1EdTech LTI Core 1.3, Deep Linking 2.0, AGS 2.0, NRPS 2.0), as zod schemas. */
import { z } from 'zod';

export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
export const AGS = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
export const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
export const DL_SETTINGS = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
export const SCOPE_SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
export const SCOPE_NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';

const short = z.string().max(1000);
const httpUrl = z.string().max(2000).refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL');

/** Claims every launch must have (after the signature, iss, aud, exp and iat were checked by jose). */
export const baseClaims = z.object({
  nonce: z.string().min(1).max(500),
  [`${LTI}message_type`]: z.string().max(100),
  [`${LTI}version`]: z.string().max(20),
  [`${LTI}deployment_id`]: z.string().min(1).max(255),
  azp: short.optional(),
});

export const resourceLinkClaims = z.object({
  sub: z.string().min(1).max(255),
  name: short.optional(),
  given_name: short.optional(),
  family_name: short.optional(),
  email: short.optional(),
  [`${LTI}roles`]: z.array(z.string().max(300)).max(100),
  [`${LTI}resource_link`]: z.object({ id: z.string().min(1).max(255), title: short.optional() }),
  [`${LTI}target_link_uri`]: z.string().max(2000).optional(),
  [`${LTI}context`]: z.object({ id: z.string().min(1).max(255), title: short.optional(), label: short.optional() }).optional(),
  [`${LTI}custom`]: z.record(z.string(), z.unknown()).optional(),
  [`${LTI}launch_presentation`]: z.object({ locale: z.string().max(40).optional(), document_target: z.string().max(40).optional() }).loose().optional(),
  [AGS]: z.object({ scope: z.array(z.string().max(300)).max(20).optional(), lineitem: httpUrl.optional(), lineitems: httpUrl.optional() }).loose().optional(),
  [NRPS]: z.object({ context_memberships_url: httpUrl, service_versions: z.array(z.string()).optional() }).loose().optional(),
});
export type ResourceLinkClaims = z.infer<typeof resourceLinkClaims>;

export const deepLinkingClaims = z.object({
  [`${LTI}roles`]: z.array(z.string().max(300)).max(100).optional(),
  [`${LTI}launch_presentation`]: z.object({ locale: z.string().max(40).optional() }).loose().optional(),
  [DL_SETTINGS]: z.object({
    deep_link_return_url: httpUrl,
    accept_types: z.array(z.string().max(100)).min(1),
    accept_multiple: z.boolean().optional(),
    data: z.string().max(4000).optional(),
  }).loose(),
});
export type DeepLinkingClaims = z.infer<typeof deepLinkingClaims>;

const STAFF = [
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
];

/** An instructor, a TA (Instructor#TeachingAssistant is a sub-role of Instructor) or an administrator. */
export function isStaff(roles: string[]): boolean {
  return roles.some((r) => STAFF.includes(r) || r.startsWith('http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#') || r === 'Instructor');
}

/** ru or en from a BCP 47 locale (anything but English is Russian, the course's first language). */
export function langOfLocale(locale: string | undefined | null): 'ru' | 'en' | null {
  if (!locale) return null;
  // BCP 47 (en-US) and Moodle's own codes (en_us).
  if (/^en(?:$|[-_])/i.test(locale)) return 'en';
  if (/^ru(?:$|[-_])/i.test(locale)) return 'ru';
  return null;
}
