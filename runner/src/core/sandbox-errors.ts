/**
 * What a learner is told when their sandbox or a lab's own code fails: a sentence they can act
 * on, under a code the site translates (site/src/i18n/ui.ts). The engine's and the registry's raw
 * text (container ids, internal addresses) goes to the runner's log only.
 */
import { isSandboxGone } from '../sandbox/errors.ts';
import { ApiError } from './errors.ts';

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
  if (isSandboxGone(err)) {
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
