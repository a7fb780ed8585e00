/** Runner PROCESSES for the restart tests: runner/src/main.ts started, signalled and killed for real. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../runner/src/config.ts';
import { resetRunner } from '../../runner/src/reset.ts';
import { uniqueRunnerId } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../runner/src/main.ts', import.meta.url));

export interface RunnerProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far (JSON lines of pino). */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  term(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** One runner identity: a RUNNER_ID and a data directory that outlive its processes. */
export class RunnerIdentity {
  readonly runnerId: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  private readonly children: ChildProcess[] = [];

  constructor(env: Record<string, string> = {}, prefix = 'rs') {
    this.runnerId = uniqueRunnerId(prefix);
    this.dataDir = mkdtempSync(join(tmpdir(), 'rl-data-'));
    this.env = { PORT: '0', WARM_POOL_SIZE: '0', LOG_LEVEL: 'info', SITE_DIR: '/nonexistent-site', ...env, RUNNER_ID: this.runnerId, DATA_DIR: this.dataDir };
  }

  get databaseFile(): string {
    return join(this.dataDir, `${this.runnerId}.sqlite`);
  }

  start(extraEnv: Record<string, string> = {}): Promise<RunnerProcess> {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    const lines: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
    const url = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner did not start: ${lines.slice(-5).join('\n')}`)), 180_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((e) => reject(new Error(`runner exited (${e.code ?? e.signal}) before listening: ${lines.slice(-5).join('\n')}`)));
    });
    return url.then((u) => ({
      url: u,
      child,
      lines,
      exited,
      term: () => (child.kill('SIGTERM'), exited),
      kill: () => (child.kill('SIGKILL'), exited),
    }));
  }

  /** Kills what is still running, then `npm run reset` for this identity, then the data directory. */
  async cleanup(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await resetRunner(loadConfig({ ...process.env, ...this.env }));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The JSON log line whose msg matches. */
export function logLine(lines: string[], re: RegExp): Record<string, unknown> | undefined {
  for (const l of lines) {
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (re.test(String(o.msg ?? ''))) return o;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}
