/** The subset of pino (fastify's logger) the core uses; tests pass `silentLogger`. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: Logger = { info: noop, warn: noop, error: noop, debug: noop };

export function errMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
