/**
 * What a learner is told when their sandbox or a lab's own code fails: a sentence they can act
 * on, under a code the site translates (site/src/i18n/ui.ts). Docker's and the registry's raw
 * text (container ids, internal addresses) goes to the runner's log only.
 */
import { ApiError } from './errors.ts';

/** Docker's words for a workstation that is not there any more (stopped, removed, restarting). */
const CONTAINER_GONE = /is not running|container stopped|no such container|is restarting|is paused|cannot connect to the docker daemon/i;

export function looksLikeSandboxDown(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return CONTAINER_GONE.test(text);
}

export function sandboxUnavailable(): ApiError {
  return new ApiError(
    409,
    'sandbox_unavailable',
    'Your sandbox stopped answering (its workstation or its Docker engine is down). Start a new sandbox.',
  );
}

export function labStartFailed(labId: string): ApiError {
  return new ApiError(500, 'lab_start_failed', `The lab "${labId}" could not be prepared in your sandbox; the details are in the runner's log.`);
}

export function checkFailed(labId: string): ApiError {
  return new ApiError(500, 'check_failed', `The check of lab "${labId}" could not run; the details are in the runner's log.`);
}

export function shellFailed(err: unknown): { code: string; message: string } {
  if (looksLikeSandboxDown(err)) {
    const e = sandboxUnavailable();
    return { code: e.code, message: e.message };
  }
  return { code: 'shell_failed', message: "The terminal could not start in your sandbox; the details are in the runner's log." };
}

/**
 * The runner reaches a session's registries at internal addresses (http://10.x.y.z:5000); in the
 * learner's workstation the same registry is localhost:5000. Messages say what the learner sees.
 */
export function learnerAddresses(text: string, registryBaseUrl: string | null): string {
  const host = registryBaseUrl ? /^https?:\/\/([^/:]+)/.exec(registryBaseUrl)?.[1] : undefined;
  if (!host) return text;
  const ip = host.replace(/[.[\]]/g, (c) => `\\${c}`);
  return text.replace(new RegExp(`(?:https?://)?(?<![\\d.])${ip}(?!\\d)(?::(\\d+))?`, 'g'), (_m, port: string | undefined) => `localhost:${port ?? '5000'}`);
}
