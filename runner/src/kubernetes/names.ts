/**
 * Names and labels of everything the Kubernetes backend makes. Session ids are base64url (upper
 * case, `-`, `_`), which Pod names (DNS-1123, lower case) and label values (must start and end
 * with an alphanumeric) refuse: both carry the id in hex instead, which maps back losslessly.
 */
export const LABEL = {
  managed: 'registry-lab/managed',
  runner: 'registry-lab/runner',
  session: 'registry-lab/session',
  role: 'registry-lab/role',
  /** `pool` while a warm-pool Pod waits, `claimed` once a session took it. */
  state: 'registry-lab/state',
  /** The learner's kernel uid in a session's workstation Pod (session-user.ts): no two Pods share one. */
  uid: 'registry-lab/uid',
} as const;

export const SESSION_ID_ANNOTATION = 'registry-lab/session-id';

export type Role = 'sandbox' | 'registry' | 'probe' | 'mirror';

export function sessionKey(id: string): string {
  return Buffer.from(id, 'utf8').toString('hex');
}

export function idFromKey(key: string): string {
  return Buffer.from(key, 'hex').toString('utf8');
}

/** `rl-<hex of the id>`: 51 characters for the runner's 24-character ids. */
export function podName(id: string): string {
  return `rl-${sessionKey(id)}`;
}

/** The session's registries and grader: a Pod of its own, so no learner can take their address. */
export function registryPodName(id: string): string {
  return `${podName(id)}-reg`;
}

/** A RUNNER_ID in a DNS-1123 name (lower case, `.` and `_` become `-`). */
export function runnerSlug(runnerId: string): string {
  return runnerId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'runner';
}

export function labelsFor(runnerId: string, role: Role, sessionId?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.runner]: runnerId, [LABEL.role]: role };
  if (sessionId) labels[LABEL.session] = sessionKey(sessionId);
  return labels;
}

export function selector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Label values must start and end with an alphanumeric (RUNNER_ID may end in `-` or `.`). */
export function checkRunnerIdForLabels(runnerId: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(runnerId)) {
    throw new Error(`RUNNER_ID "${runnerId}" cannot be a Kubernetes label value: it must end with a letter or digit`);
  }
}

/**
 * Pod Security admission labels of the runner's namespace (Kubernetes 1.23+; 1.20-1.22 ignore
 * them). `privileged` is the strictest level the session Pod passes: `baseline` refuses the
 * workstation's `procMount: Unmasked` and the NET_ADMIN/NET_RAW that the egress init container
 * (and the probe's `seal`) add; `restricted` also refuses the workstation's
 * allowPrivilegeEscalation and its runtime-default capabilities, and root in the init
 * container and the grader. The Localhost seccomp profile passes every level. What actually
 * keeps privileged Pods out of the namespace is deploy/kubernetes/policy/ (docs/kubernetes-security.md).
 */
export const POD_SECURITY_LEVEL = 'privileged';
export const POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': POD_SECURITY_LEVEL,
  'pod-security.kubernetes.io/audit': POD_SECURITY_LEVEL,
  'pod-security.kubernetes.io/warn': POD_SECURITY_LEVEL,
};

/** Labels of the runner's own Pods (deploy/kubernetes/runner.yaml): the NetworkPolicies let them in. */
export const RUNNER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'registry-lab-runner' };
