export class RegistryError extends Error {
  /** HTTP status, when the registry answered. */
  readonly status?: number;
  /** First error code of the registry's JSON error body (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`...). */
  readonly code?: string;
  readonly url: string;
  constructor(message: string, opts: { url: string; status?: number; code?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
    this.url = opts.url;
    this.status = opts.status;
    this.code = opts.code;
  }
}

/** Why a fetch failed, in a few words (a timeout, ECONNREFUSED, ...). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = e?.cause as { code?: string; message?: string; errors?: Array<{ code?: string; message?: string }> } | undefined;
  const inner = cause?.code ? cause : cause?.errors?.find((x) => x?.code) ?? cause;
  if (inner?.code) return `${inner.code}${inner.message ? ` (${inner.message})` : ''}`;
  if (inner?.message) return inner.message;
  return e?.message ?? String(err);
}

/** The RegistryError for a non-2xx answer: status, the registry's first error code and message, a hint. */
export async function httpError(res: Response, method: string, path: string, what: string): Promise<RegistryError> {
  let code: string | undefined;
  let detail = '';
  try {
    const text = method === 'HEAD' ? '' : await res.text();
    try {
      const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
      const first = body.errors?.[0];
      if (first) {
        code = first.code;
        detail = `${first.code ?? ''}${first.message ? ': ' + first.message : ''}`;
      }
    } catch {
      detail = text.slice(0, 200);
    }
  } catch {
    /* body unreadable */
  }
  const hint = res.status === 401 ? ' (wrong or missing credentials)' : res.status === 405 && method === 'DELETE' ? ' (deletion is disabled on this registry)' : '';
  return new RegistryError(`${what}: ${method} ${path} answered HTTP ${res.status}${hint}${detail ? ` — ${detail}` : ''}`, { url: res.url, status: res.status, code });
}
