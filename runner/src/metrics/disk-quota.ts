/**
 * Disk used under the per-session quotas (docker/quota.ts): each session's home and registry
 * data are ext4 file systems in sparse files `<RUNNER_ID>--<session>[--registry].ext4` in
 * QUOTA_DIR; the blocks a file has allocated are what that session takes of the host's disk.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function quotaUsage(dir: string, runnerId: string): { usedBytes: number; busiestSessionBytes: number } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { usedBytes: 0, busiestSessionBytes: 0 };
  }
  const prefix = `${runnerId}--`;
  const perSession = new Map<string, number>();
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.ext4')) continue;
    const session = name.slice(prefix.length, -'.ext4'.length).replace(/--registry$/, '');
    try {
      const bytes = statSync(join(dir, name)).blocks * 512;
      perSession.set(session, (perSession.get(session) ?? 0) + bytes);
    } catch {
      /* released meanwhile */
    }
  }
  let used = 0;
  for (const b of perSession.values()) used += b;
  return { usedBytes: used, busiestSessionBytes: Math.max(0, ...perSession.values()) };
}
