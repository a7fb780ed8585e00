import type { Runner } from '../../runner/src/app.ts';
import type { Term } from '../runner/helpers.ts';
import { newSession, readyTerminal } from '../runner/real.ts';

/** Waits for a session's sandbox (a busy host can take minutes), saying why when it fails. */
export async function untilReady(runner: Runner, s: { id: string; token: string }): Promise<void> {
  let last = '';
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${runner.url}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } });
    last = await r.text();
    const state = (JSON.parse(last) as { state?: string }).state;
    if (state === 'ready') return;
    if (state !== 'starting') throw new Error(`session ${s.id}: ${last}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`session ${s.id} not ready after 300 s: ${last}`);
}


/** Waits (20 s at most: a few liveness probes) until the ready session's view shows a registry restarted and up again. */
export async function registryRestartShown(runner: Runner, s: { id: string; token: string }): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    const r = await fetch(`${runner.url}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } });
    const v = (await r.json()) as { state?: string; registry?: { up: boolean; restarts: number } };
    if (v.state === 'ready' && v.registry?.up && v.registry.restarts >= 1) return true;
    await new Promise((res) => setTimeout(res, 500));
  }
  return false;
}

/** Two learners with a shell each: sessions asked at once, terminals once both sandboxes are up (a failed start says why). */
export async function twoReadyLearners(runner: Runner): Promise<{ a: { id: string; token: string }; b: { id: string; token: string }; ta: Term; tb: Term }> {
  const [a, b] = await Promise.all([newSession(runner), newSession(runner)]);
  await Promise.all([untilReady(runner, a), untilReady(runner, b)]);
  const [ta, tb] = await Promise.all([readyTerminal(runner, a), readyTerminal(runner, b)]);
  return { a, b, ta, tb };
}
