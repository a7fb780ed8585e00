/**
 * Requests Node's HTTP parser refuses before fastify sees them (bad Content-Length, a header
 * without a colon, raw non-ASCII in the path, headers too large, a client too slow): the answer
 * is written on the raw socket, in API.md's error shape, and the connection is closed.
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Writes one complete HTTP answer with a JSON error body, then closes the socket. */
export function writeRawError(socket: Duplex, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Node's error code (llhttp's HPE_* or ERR_HTTP_*) -> status, code, message. */
export function describeClientError(err: { code?: string }): [number, string, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers_too_large', 'The request headers are too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request_timeout', 'The request was not sent in time; send it again.'];
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return [400, 'bad_content_length', 'The Content-Length header is invalid.'];
    case 'HPE_INVALID_URL':
      return [400, 'bad_url', 'The URL is malformed (raw non-ASCII characters must be percent-encoded).'];
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
      return [400, 'bad_header', 'A request header is malformed.'];
    case 'HPE_INVALID_METHOD':
      return [400, 'bad_method', 'The request method is not valid HTTP.'];
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return [400, 'bad_transfer_encoding', 'The request body framing (Transfer-Encoding) is invalid.'];
    default:
      return [400, 'bad_request', 'The request is not valid HTTP.'];
  }
}

/** fastify's `clientErrorHandler` option (Node's 'clientError' event). */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  // Nothing can be answered on a reset socket, or once an answer has begun on it (a pipelined
  // request's): the connection just closes. A request still waiting for its body has no answer
  // yet, so a slow body gets its 408.
  const res = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || res?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = describeClientError(err);
  writeRawError(socket, status, code, message);
}
