/**
 * The workstation's seccomp profile (Docker's format) must not both refuse and allow a call:
 * runc and libseccomp disagree on which rule wins (Docker 20.10 drops the refusal, libseccomp as
 * containerd uses it keeps it), so a conflict behaves differently per engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Rule {
  names: string[];
  action: string;
  args?: unknown[] | null;
  includes?: Record<string, unknown>;
  excludes?: Record<string, unknown>;
}

const profile = JSON.parse(readFileSync(new URL('../../runner/src/docker/seccomp/rootless-engine.json', import.meta.url), 'utf8')) as { syscalls: Rule[] };
const unconditional = (r: Rule) => !r.args?.length && !Object.keys(r.includes ?? {}).length && !Object.keys(r.excludes ?? {}).length;

test('no call is refused by one rule and allowed outright by another', () => {
  const allowed = new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && unconditional(r)).flatMap((r) => r.names));
  const conflicts = profile.syscalls.filter((r) => r.action !== 'SCMP_ACT_ALLOW').flatMap((r) => r.names.filter((n) => allowed.has(n)));
  assert.deepEqual(conflicts, []);
});

test('the inner engine keeps what it needs: UTS namespaces and setns for its containers', () => {
  const allowed = new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && unconditional(r)).flatMap((r) => r.names));
  for (const call of ['sethostname', 'setdomainname', 'setns', 'unshare', 'mount', 'pivot_root']) assert.ok(allowed.has(call), call);
});
