/**
 * The one vocabulary of sandbox failures, matched by type (instanceof), never by text: each
 * backend turns its own engine's words into these at its edge (docker/errors.ts,
 * kubernetes/client.ts sandboxErrorOf); core/, labs/, terminal/ and metrics/ only ask the type.
 */

/** The sandbox (its workstation, or the engine under it) is not there any more. */
export class SandboxGoneError extends Error {
  override name = 'SandboxGoneError';
  readonly code = 'sandbox_gone';
}

/** A sandbox creation (or a wait for one) was cancelled through its AbortSignal. */
export class CancelledError extends Error {
  // The platform's name for an aborted operation, so callers that know AbortError know this one.
  override name = 'AbortError';
  readonly code = 'cancelled';
  constructor(message = 'the sandbox creation was cancelled') {
    super(message);
  }
}

/** The provider holds no sandbox of that id (never created or adopted here, or destroyed). */
export class UnknownSandboxError extends Error {
  override name = 'UnknownSandboxError';
  readonly code = 'unknown-sandbox';
  constructor(id: string) {
    super(`unknown sandbox ${id}`);
  }
}

export const isSandboxGone = (err: unknown): err is SandboxGoneError => err instanceof SandboxGoneError;

/** `err` as SandboxGoneError when `gone(err)` says the backend's engine meant that; otherwise `err` itself. */
export function sandboxErrorWhen(gone: (err: unknown) => boolean): (err: unknown) => unknown {
  return (err) => {
    if (err instanceof SandboxGoneError || !gone(err)) return err;
    return new SandboxGoneError(err instanceof Error ? err.message : String(err), { cause: err });
  };
}
