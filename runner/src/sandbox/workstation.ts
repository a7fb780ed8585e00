/**
 * The workstation as both backends build it: the learner's name and home, and the ports that
 * localhost forwards inside it (the session's registries, then the learner's own servers).
 */

export const LEARNER = 'learner';
export const LEARNER_HOME = '/home/learner';

/** The environment every command run as the learner gets (over what the caller passes). */
export const LEARNER_ENV: Readonly<Record<string, string>> = { HOME: LEARNER_HOME, USER: LEARNER };

/** The runner's registries: `localhost:<port>` in the workstation forwards to them (5000 = the session registry). */
export const REGISTRY_PORTS = [5000, 5001];
/** Loopback ports of the workstation the inner engine also sees as localhost: registries the learner runs. */
export const LEARNER_PORTS = [5002, 5005];
/** All of them, for a backend whose registries share the workstation's loopback (Kubernetes). */
export const FORWARDED_PORTS = [...REGISTRY_PORTS, ...LEARNER_PORTS];
/**
 * A workstation is ready when its entrypoint marked it so (the engine answers) and the session
 * registry answers at localhost:5000. The entrypoint writes its ready line only once this holds
 * (the Docker backend follows that line; Kubernetes probes with it).
 */
export const READY_CHECK = 'test -e "$XDG_RUNTIME_DIR/sandbox-ready" && curl -fsS -o /dev/null http://localhost:5000/v2/';
