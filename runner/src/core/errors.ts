/** An error a client can act on; the HTTP layer turns it into {"error":{"code","message"}}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const notFound = (what: string, id: string) => new ApiError(404, `unknown_${what}`, `No ${what} with id "${id.slice(0, 80)}".`);
