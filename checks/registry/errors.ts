/**
 * Errors of the registry client. A registry is learner-controlled (a learner can answer in its
 * place with their own server), so a RegistryError's message is always our own sentence: the
 * method, our own path, the HTTP status and, only when it is one of the distribution spec's
 * codes, the registry's error code. Whatever else the registry said (a body excerpt, its error
 * message) stays in `detail`, for logs only: it is never part of `message`.
 */

/** Error codes of the OCI distribution spec; any other `code` a registry sends is dropped. */
export const OCI_ERROR_CODES: ReadonlySet<string> = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
]);

/** The longest `detail` kept on an error. */
export const DETAIL_MAX = 200;

export class RegistryError extends Error {
  /** HTTP status, when the registry answered. */
  readonly status?: number;
  /** First error code of the registry's JSON error body, only when it is a distribution-spec code. */
  readonly code?: string;
  readonly url: string;
  /**
   * What the registry said that is not ours (a body excerpt, its error message), at most
   * DETAIL_MAX characters. For a log line only: never put it in a message to the learner.
   * Not enumerable, so it does not travel with the error when it is serialised.
   */
  readonly detail?: string;
  constructor(message: string, opts: { url: string; status?: number; code?: string; cause?: unknown; detail?: string }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
    this.url = opts.url;
    this.status = opts.status;
    this.code = opts.code !== undefined && OCI_ERROR_CODES.has(opts.code) ? opts.code : undefined;
    Object.defineProperty(this, 'detail', { value: opts.detail === undefined ? undefined : String(opts.detail).slice(0, DETAIL_MAX), enumerable: false, writable: false, configurable: false });
  }
}

/**
 * Why a fetch failed, in a few words: a timeout or the error code (ECONNREFUSED, ...). Only
 * the code, never the error's text: that can quote the peer (a TLS certificate's names...).
 */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: unknown; cause?: unknown };
  const timedOut = (x: { name?: string } | undefined) => x?.name === 'TimeoutError' || x?.name === 'AbortError';
  if (timedOut(e)) return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = e?.cause as { code?: unknown; name?: string; errors?: Array<{ code?: unknown }> } | undefined;
  if (timedOut(cause)) return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const code = [e?.code, cause?.code, ...(Array.isArray(cause?.errors) ? cause.errors.map((x) => x?.code) : [])].find((c) => typeof c === 'string' && /^[A-Z][A-Z0-9_]{1,60}$/.test(c));
  return typeof code === 'string' ? code : 'the connection failed';
}

/** The longest error body read to find the registry's error code. */
const ERROR_BODY_MAX = 64 * 1024;

/** A Response body, read through a size cap: a RegistryError (with `what` in it) past `maxBytes` or when reading fails (timeout...). */
export async function readCapped(res: Response, maxBytes: number, what: string, timeoutMs: number): Promise<Buffer> {
  const tooBig = () => new RegistryError(`${what}: the answer is larger than ${formatBytes(maxBytes)}, which the check does not read`, { url: res.url, status: res.status });
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      if (n > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooBig();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    await reader.cancel().catch(() => undefined);
    throw new RegistryError(`${what}: the answer was not received in full: ${describeFetchError(err, timeoutMs)}`, { url: res.url, status: res.status, cause: err });
  }
  return Buffer.concat(chunks, n);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${n} bytes`;
}

/** The RegistryError for a non-2xx answer: status, the registry's first error code (spec codes only), a hint. */
export async function httpError(res: Response, method: string, path: string, what: string, timeoutMs: number): Promise<RegistryError> {
  let code: string | undefined;
  let detail: string | undefined;
  if (method === 'HEAD') {
    await res.body?.cancel().catch(() => undefined);
  } else {
    try {
      const text = (await readCapped(res, ERROR_BODY_MAX, what, timeoutMs)).toString('utf8');
      detail = text;
      try {
        const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
        const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
        if (first && typeof first.code === 'string') {
          code = OCI_ERROR_CODES.has(first.code) ? first.code : undefined;
          detail = `${first.code}${typeof first.message === 'string' ? ': ' + first.message : ''}`;
        }
      } catch {
        /* not JSON: the excerpt stays in detail */
      }
    } catch {
      /* body unreadable or too large */
    }
  }
  const hint = res.status === 401 ? ' (wrong or missing credentials)' : res.status === 405 && method === 'DELETE' ? ' (deletion is disabled on this registry)' : '';
  return new RegistryError(`${what}: ${method} ${path} answered HTTP ${res.status}${hint}${code ? ` — ${code}` : ''}`, { url: res.url, status: res.status, code, detail });
}
