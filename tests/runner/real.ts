/** Fixture for runner integration tests against the real Docker engine. */
import { execFileSync } from 'node:child_process';
import { createRunner, type Runner, type RunnerDeps } from '../../runner/src/app.ts';
import type { Config } from '../../runner/src/config.ts';
import { api, openTerminal, uniqueRunnerId, type Term } from './helpers.ts';

export async function startRealRunner(over: Partial<Config> = {}, deps: RunnerDeps = {}): Promise<Runner> {
  return createRunner(
    {
    port: 0,
    runnerId: uniqueRunnerId('rt'),
    warmPoolSize: 0,
    logLevel: 'error',
    siteDir: '/nonexistent-site',
    ...over,
    },
    deps,
  );
}

/** Names of Docker objects (containers, networks, volumes) carrying a label. */
export function dockerObjects(label: string): string[] {
  const run = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  return [
    ...run(['ps', '-a', '--filter', `label=${label}`, '--format', 'container {{.Names}}']),
    ...run(['network', 'ls', '--filter', `label=${label}`, '--format', 'network {{.Name}}']),
    ...run(['volume', 'ls', '--filter', `label=${label}`, '--format', 'volume {{.Name}}']),
  ];
}

export async function newSession(runner: Runner, body: object = {}) {
  const r = await api(runner.url, 'POST', '/api/sessions', { body });
  if (r.status !== 201) throw new Error(`POST /api/sessions: ${r.status} ${r.text}`);
  return r.json as { id: string; token: string; expiresAt: string; lab: string | null };
}

let seq = 0;
/** Runs a command line in the terminal; resolves with its output and exit code. */
export async function run(term: Term, cmd: string, timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  const tag = `__RL${++seq}_`;
  const from = term.output().length;
  term.send(`${cmd}\recho "${tag}$?__"\r`);
  const re = new RegExp(`${tag}(\\d+)__`);
  const text = await term.waitFor(re, timeoutMs, from);
  const m = re.exec(text)!;
  return { code: Number(m[1]), out: text.slice(0, m.index) };
}

export async function readyTerminal(runner: Runner, s: { id: string; token: string }): Promise<Term> {
  const t = await openTerminal(runner.url, s.id, s.token);
  await t.waitEvent('ready', 180_000);
  await run(t, 'true', 60_000);
  return t;
}

/** Last-resort cleanup for a test's own RUNNER_ID (containers, then networks, then volumes). */
export function removeRunnerObjects(runnerId: string): void {
  const label = `label=registry-lab.runner=${runnerId}`;
  const ids = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  const containers = ids(['ps', '-aq', '--filter', label]);
  if (containers.length) execFileSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
  const networks = ids(['network', 'ls', '-q', '--filter', label]);
  if (networks.length) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
  const volumes = ids(['volume', 'ls', '-q', '--filter', label]);
  if (volumes.length) execFileSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
}
