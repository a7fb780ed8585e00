/**
 * A learner squatting a registry port in their workstation: their own server answers on
 * localhost:<port> in place of the forwarder to the session registries (both red-team suites,
 * Docker and Kubernetes). Shell text for the learner's terminal; waits are bounded.
 */
import type { Runner } from '../../runner/src/app.ts';
import type { Term } from '../runner/helpers.ts';
import { boundedAttempt } from './room.ts';

/** Waits (10 s at most) until something listens on localhost:<port>: a loaded host starts socat late. */
export const untilListening = (port: number) => `for i in $(seq 50); do ss -Hltn 'sport = :${port}' | grep -q . && break; sleep 0.2; done`;
/** Waits (10 s at most) until nothing listens on localhost:<port> any more. */
export const untilFree = (port: number) => `for i in $(seq 50); do ss -Hltn 'sport = :${port}' | grep -q . || break; sleep 0.2; done`;
/** The HTTP status of localhost:<port>/v2/, asked until something answers (10 s at most). */
const answerOf = (port: number) => `for i in $(seq 20); do c=$(curl -s -o /dev/null -w '%{http_code}' localhost:${port}/v2/); [ "$c" != 000 ] && break; sleep 0.5; done; echo "answer $c"`;

/** The learner's own HTTP answer (status line and headers `head`, body `{}`) on localhost:<port>, in place of the forwarder. */
export async function squat(runner: Runner, sessionId: string, t: Term, port: number, head: string[]): Promise<string> {
  const name = `answer-${port}.sh`;
  const body = `#!/bin/sh\nprintf '%s\\r\\n' ${head.map((h) => `'${h.replace(/'/g, `'\\''`)}'`).join(' ')} 'Content-Length: 2' ''\nprintf '{}'\n`;
  await runner.provider.ops(sessionId).copyIn('/home/learner/fake', [{ path: name, content: body, mode: 0o755 }]);
  // Only this namespace's listener goes (fuser): the inner engine's own forwarders stay, as a learner would find them.
  const r = await boundedAttempt(t, `fuser -k -n tcp ${port} >/dev/null 2>&1 || true; ${untilFree(port)}; (setsid socat TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr EXEC:$HOME/fake/${name} >/dev/null 2>&1 &); ${untilListening(port)}; ${answerOf(port)}`, 60);
  return r.out;
}

/** The forwarders put back, as a learner would (the registries' address is in the environment). */
export async function unsquat(t: Term): Promise<string> {
  const r = await boundedAttempt(
    t,
    `fuser -k -n tcp 5000 5001 >/dev/null 2>&1 || true; ${untilFree(5000)}; ${untilFree(5001)}; for p in 5000 5001; do (setsid socat TCP-LISTEN:$p,bind=127.0.0.1,fork,reuseaddr TCP:$REGISTRY_ADDR:$p >/dev/null 2>&1 &); done; ${untilListening(5000)}; curl -fsS --retry 10 --retry-connrefused --retry-delay 1 localhost:5000/v2/ && echo RESTORED`,
    60,
  );
  return r.out;
}
