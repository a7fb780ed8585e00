/**
 * The sandbox provider: everything the runner needs from a sandbox backend (create, adopt,
 * find, destroy, shells, ops). runner/src/docker/ and runner/src/kubernetes/ implement it;
 * core/ and everything above use only this interface, never a backend.
 */
import type { Duplex } from 'node:stream';
import type { SandboxOps } from '../../../checks/sandbox.ts';

/** Resource limits for one sandbox; defaults come from runner/src/config.ts. */
export interface SandboxLimits {
  workstationMemoryBytes: number;
  workstationNanoCpus: number;
  workstationPids: number;
  registryMemoryBytes: number;
  registryPids: number;
  /** json-file log size per container, e.g. "1m". */
  logMaxSize: string;
}

export interface SandboxInfo {
  id: string;
  workstationIp: string;
  createdAt: Date;
}

export interface ShellHandle {
  /**
   * Raw TTY stream: write input bytes, read output bytes. Never demultiplexed. Pausing it must stop
   * the shell's output at its source: the terminal's one flow control (terminal/flow-control.ts,
   * applied by terminal/bridge.ts for both backends) pauses and resumes this stream, nothing else.
   */
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the shell's exit code once it ended (or -1 if unknown). */
  exited: Promise<number>;
  /**
   * Closes the stream and ends the shell with everything it started (hang-up, then a kill
   * after a grace period). Resolves once that is done; never rejects.
   */
  close(): Promise<void> | void;
}

/** A sandbox found on the engine (by its session label). */
export interface FoundSandbox {
  /** The workstation container exists (running or not). */
  workstation: boolean;
  /** The workstation container exists and runs. */
  running: boolean;
  /** The session's registries: all of them answering now, and how often the engine restarted them. */
  registry?: RegistryHealth;
}

export interface RegistryHealth {
  up: boolean;
  restarts: number;
}

/** Everything the runner needs from a sandbox backend. */
export interface SandboxProvider {
  /** Starts the mirror. Sandboxes already on the engine are left alone (see `sandboxes` and `adopt`). */
  init(): Promise<{ reaped: number }>;
  /**
   * Creates network, workstation, registry; resolves once the inner engine answers. Aborting
   * `signal` cancels the creation: it rejects soon and leaves nothing behind. `waiting`, `started`:
   * called when the start waits for a slot and when it begins (core/start-queue.ts).
   */
  create(id: string, opts?: { signal?: AbortSignal; pool?: boolean; waiting?: () => void; started?: () => void }): Promise<SandboxInfo>;
  /** Every sandbox of this runner on the engine, by id (one list call: also the liveness probe). */
  sandboxes(): Promise<Map<string, FoundSandbox>>;
  /** Optional: whether the shared registry mirror runs (the readiness probe; absent: not checked). */
  mirrorUp?(): Promise<boolean>;
  /** Takes over a sandbox left by a previous run of this runner (after a restart). */
  adopt(id: string): Promise<SandboxInfo>;
  /**
   * Optional: takes a warm-pool sandbox for a session where other runners could claim it too
   * (Kubernetes: relabelling with a resourceVersion precondition). False: someone else has it.
   */
  claim?(id: string): Promise<boolean>;
  /** Forgets every sandbox without removing anything (the runner stops; sessions survive). */
  release(): Promise<void>;
  /** Removes every container, network and volume of the sandbox. Idempotent. */
  destroy(id: string): Promise<void>;
  /** True while the sandbox's workstation container is running. */
  isRunning(id: string): Promise<boolean>;
  /** An interactive login shell (bash -l) as the learner in their home, with a TTY. */
  openShell(id: string, size: { cols: number; rows: number }): Promise<ShellHandle>;
  /** Operations labs and checks use (declared by their consumer: checks/sandbox.ts). */
  ops(id: string): SandboxOps;
  /** Destroys every sandbox and the mirror of this runner. */
  shutdown(): Promise<void>;
  /** Memory in use by the sandbox's containers (bytes), for the bench and the dashboard. */
  memoryUsage(id: string): Promise<{ workstation: number; registry: number }>;
}
