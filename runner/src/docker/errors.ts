/** Docker's words for a sandbox that is gone, turned into sandbox/errors.ts SandboxGoneError at this backend's edge. */
import { sandboxErrorWhen } from '../sandbox/errors.ts';

/** Docker's words for a workstation that is not there any more (stopped, removed, restarting). */
const CONTAINER_GONE = /is not running|container stopped|no such container|is restarting|is paused|cannot connect to the docker daemon/i;

export const dockerSaysGone = (err: unknown): boolean => CONTAINER_GONE.test(err instanceof Error ? err.message : String(err));

/** An engine error as the sandbox vocabulary: SandboxGoneError where Docker said the sandbox is gone. */
export const sandboxErrorOf = sandboxErrorWhen(dockerSaysGone);
