/**
 * Creating a session's sandbox within the start timeout, and removing it once a cancelled creation settled.
 */
import type { SandboxProvider } from '../sandbox/provider.ts';
import { errMessage, type Logger } from './log.ts';

/** provider.create bounded by SESSION_START_TIMEOUT_MS, not counting a wait for a slot (on timeout the creation is cancelled too). */
export async function createWithin(provider: SandboxProvider, id: string, abort: AbortController, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  let fail: (err: Error) => void = () => {};
  const timeout = new Promise<never>((_, reject) => (fail = reject));
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      abort.abort();
      fail(new Error(`the sandbox did not start within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    timer.unref();
  };
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  // The bound is the start's own: off while it waits for a slot, armed again when it begins.
  arm();
  try {
    await Promise.race([provider.create(id, { signal: abort.signal, waiting: disarm, started: arm }), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Removes an ended session's sandbox once its (cancelled) creation settled; errors are logged. */
export async function removeSandbox(provider: SandboxProvider, id: string, creation: Promise<void> | null, log: Logger): Promise<void> {
  if (creation) await creation.catch(() => {});
  try {
    await provider.destroy(id);
  } catch (err) {
    log.error({ session: id, err: errMessage(err) }, 'sandbox destroy failed');
  }
}
