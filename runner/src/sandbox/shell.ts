/**
 * What a terminal's shell is on either backend: the command and environment it starts with, the
 * mark every process it starts inherits, and the hang-up script that ends them all when the
 * terminal closes. The backends only attach the TTY (docker/shell.ts, kubernetes/shell.ts).
 */
import { LEARNER, LEARNER_HOME } from './workstation.ts';


/** Between the hang-up and the kill of what ignored it. */
const HANGUP_GRACE_S = 2;
/** Every process a terminal starts inherits this variable: how its shell is found again to end it. */
export const MARK = 'REGISTRY_LAB_TERMINAL';

/**
 * Ends everything a closed terminal left: the sessions (setsid sense) of every process
 * carrying the terminal's mark get SIGHUP, as a real hang-up; what is left after the grace
 * gets SIGKILL. Run as the shell's own user, it can read and signal only that user's
 * processes. Inner containers (children of the sandbox's dockerd) are not touched.
 */
export const HANGUP_SCRIPT = `
m="${MARK}=$1"
pids=$(grep -lzxF "$m" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | paste -sd, -)
[ -n "$pids" ] || exit 0
sids=""
for s in $(ps -o sid= -p "$pids" 2>/dev/null | sort -un); do [ "$s" -gt 1 ] && sids="$sids,$s"; done
sids=\${sids#,}
[ -n "$sids" ] || exit 0
pkill -HUP -s "$sids"
sleep ${HANGUP_GRACE_S}
pkill -KILL -s "$sids"
exit 0
`;

/** The environment of a terminal's login shell; `mark` is the terminal's MARK value. */
export function loginShellEnv(mark: string): string[] {
  return ['TERM=xterm-256color', 'COLORTERM=truecolor', `HOME=${LEARNER_HOME}`, `USER=${LEARNER}`, 'LANG=C.UTF-8', `${MARK}=${mark}`];
}

/** The argv of a command: a string runs under `bash -lc` (the learner's login environment). */
export function shellCommand(cmd: string | string[]): string[] {
  return typeof cmd === 'string' ? ['bash', '-lc', cmd] : cmd;
}

/** The command that ends a terminal's processes (HANGUP_SCRIPT), run as the shell's user. */
export function hangupCommand(mark: string): string[] {
  return ['sh', '-c', HANGUP_SCRIPT, 'hangup', mark];
}
