import type { SandboxProvider } from '../docker/provider.ts';
import { errMessage, type Logger } from './log.ts';

/**
 * Of the given ready sessions, those whose workstation is gone or not running (one list call
 * on the engine). An engine that does not answer yields none: nobody is stopped on a hiccup.
 */
export async function deadSandboxes(provider: SandboxProvider, ids: string[], log: Logger): Promise<string[]> {
  if (!ids.length) return [];
  try {
    const found = await provider.sandboxes();
    return ids.filter((id) => !found.get(id)?.running);
  } catch (err) {
    log.warn({ err: errMessage(err) }, 'sandbox probe failed');
    return [];
  }
}
