/**
 * Every answer of the runner that is an error has API.md's shape
 * {"error":{"code","message"}}: thrown ApiErrors, fastify's own errors, route validation.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../core/errors.ts';

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** Errors fastify itself raises for malformed requests, mapped to our codes. */
export const FRAMEWORK_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send the body as application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_content_length', 'Content-Length does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The body is empty but declared as JSON.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON.'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'The URL is malformed.'],
  FST_ERR_MAX_PARAM_LENGTH: [404, 'not_found', 'No such resource.'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'The request could not be routed.'],
};

export function sendError(reply: FastifyReply, err: ApiError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err.code, err.message));
}

/** fastify's `frameworkErrors` option: errors raised before routing (bad URL, too long param). */
export function frameworkError(error: FastifyError, reply: FastifyReply) {
  const [status, code, message] = FRAMEWORK_CODES[error.code ?? ''] ?? [400, 'bad_request', 'The request is malformed.'];
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    const e = err as { code?: string; statusCode?: number; message?: string };
    const mapped = e.code ? FRAMEWORK_CODES[e.code] : undefined;
    if (mapped) return sendError(reply, new ApiError(mapped[0], mapped[1], mapped[2]));
    // @fastify/static: 403 for a path that leaves the site, 404/400 for the rest; nothing to reveal.
    if (e.statusCode === 403 || e.statusCode === 404) return sendError(reply, new ApiError(404, 'not_found', 'No such page.'));
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, new ApiError(e.statusCode, 'bad_request', e.message || 'The request is malformed.'));
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, new ApiError(500, 'internal', 'Something went wrong in the runner; the error was logged.'));
  });
}
