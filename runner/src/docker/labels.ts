/** Every Docker object the runner makes carries these labels, so cleanup and reaping are one query. */
export const LABEL = {
  managed: 'registry-lab.managed',
  runner: 'registry-lab.runner',
  session: 'registry-lab.session',
  role: 'registry-lab.role',
} as const;

export type Role = 'network' | 'workstation' | 'registry' | 'registry-ns' | 'extra-registry' | 'grader' | 'probe' | 'probe-ns' | 'mirror' | 'volume';

export function labelsFor(runnerId: string, role: Role, sessionId?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.runner]: runnerId, [LABEL.role]: role };
  if (sessionId) labels[LABEL.session] = sessionId;
  return labels;
}

/** Filters for list calls: everything of a runner, or of one session of it. */
export function labelFilter(runnerId: string, sessionId?: string): { label: string[] } {
  const label = [`${LABEL.runner}=${runnerId}`];
  if (sessionId) label.push(`${LABEL.session}=${sessionId}`);
  return { label };
}

/** Docker object names: `rl-<session>-<part>`; ids are base64url, valid in names after a prefix. */
export function objectName(sessionId: string, part: string): string {
  return `rl-${sessionId}-${part}`;
}
