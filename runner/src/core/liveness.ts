/**
 * The liveness probe of ready sessions: which workstations are gone or stopped, and how their registries fare.
 */
import type { RegistryHealth, SandboxProvider } from '../sandbox/provider.ts';
import { errMessage, type Logger } from './log.ts';
import type { SessionRecord } from './records.ts';

/** Keeps what the probe saw of a session's registries (GET /api/sessions/:id shows it); a restart is logged. */
function noteRegistry(rec: SessionRecord, seen: RegistryHealth | undefined, log: Logger): void {
  if (!seen) return;
  const before = rec.session.registry;
  if (before && seen.restarts > before.restarts) log.warn({ session: rec.session.id, restarts: seen.restarts }, 'a session registry was restarted');
  rec.session.registry = { up: seen.up, restarts: seen.restarts };
}

/**
 * Of the ready sessions, those whose workstation is gone or not running (one list call on the
 * engine), with the reason set for the learner. An engine that does not answer yields none:
 * nobody is stopped on a hiccup.
 */
export async function deadSandboxes(provider: SandboxProvider, records: SessionRecord[], log: Logger): Promise<SessionRecord[]> {
  const ready = records.filter((r) => r.session.state === 'ready');
  if (!ready.length) return [];
  let found;
  try {
    found = await provider.sandboxes();
  } catch (err) {
    log.warn({ err: errMessage(err) }, 'sandbox probe failed');
    return [];
  }
  for (const r of ready) noteRegistry(r, found.get(r.session.id)?.registry, log);
  const dead = ready.filter((r) => r.session.state === 'ready' && !found.get(r.session.id)?.running);
  for (const rec of dead) {
    rec.session.error = 'The sandbox stopped working (its workstation is no longer running). Start a new sandbox; your progress is kept.';
    log.warn({ session: rec.session.id }, 'workstation is not running; the session stops');
  }
  return dead;
}
