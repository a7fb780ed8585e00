/**
 * Route schemas (zod) and the validator compiler that lets fastify run them before any
 * handler: a bad body is 400 invalid_body naming the field, a bad path parameter is 404.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../core/errors.ts';

export const labId = z.string().max(64).regex(/^[a-z][a-z0-9-]*$/, 'must be a lab id (lowercase letters, digits, dashes)');

export const createSessionBody = z.object({
  lab: labId.nullish(),
  workshop: z.string().trim().min(1).max(64).nullish(),
  name: z.string().trim().min(1).max(100).nullish(),
  /** The session's language (issue 20); absent: Accept-Language, then 'ru'. */
  lang: z.enum(['ru', 'en']).nullish(),
});
export type CreateSessionBody = z.infer<typeof createSessionBody>;

/** PATCH /api/sessions/:id: what a learner may change of their session. */
export const patchSessionBody = z.object({ lang: z.enum(['ru', 'en']) }).strict();
export type PatchSessionBody = z.infer<typeof patchSessionBody>;

export const sessionParams = z.object({ id: z.string() });
export const labParams = z.object({ id: z.string(), lab: labId });

/** "body.lab: must be ..." from a zod error, naming the field. */
export function describeZodError(err: z.ZodError, root = 'body'): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length ? `${root}.${i.path.map(String).join('.')}` : root;
      let msg = i.message;
      if (i.code === 'invalid_type' && i.path.length === 0) msg = 'must be a JSON object';
      return `${path}: ${msg}`;
    })
    .join('; ');
}

/** A path parameter that fails its schema names nothing that exists: 404 unknown_<param>. */
function paramError(err: z.ZodError, data: unknown): ApiError {
  const key = String(err.issues[0]?.path[0] ?? 'resource');
  const value = String((data as Record<string, unknown> | undefined)?.[key] ?? '');
  return new ApiError(404, `unknown_${key}`, `No ${key} with id "${value.slice(0, 80)}".`);
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => (data: unknown) => {
  // No body (fastify: undefined or null) is the same as {}.
  const input = httpPart === 'body' && data == null ? {} : data;
  const r = schema.safeParse(input);
  if (r.success) return { value: r.data };
  if (httpPart === 'params') return { error: paramError(r.error, data) };
  return { error: new ApiError(400, 'invalid_body', describeZodError(r.error, httpPart === 'body' ? 'body' : String(httpPart ?? 'request'))) };
};
