import type { Duplex } from 'node:stream';
import type { SandboxOps } from './contract.ts';

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
  /** Raw TTY stream: write input bytes, read output bytes. Never demultiplexed. */
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the shell's exit code once it ended (or -1 if unknown). */
  exited: Promise<number>;
  /** Ends the shell (closes the stream). */
  close(): void;
}

/** Everything the runner needs from Docker. runner/src/docker/ is the only code that talks to Docker. */
export interface SandboxProvider {
  /** Reaps objects left by a previous run of this RUNNER_ID, starts the mirror. */
  init(): Promise<{ reaped: number }>;
  /** Creates network, workstation, registry; resolves once the inner engine answers. */
  create(id: string): Promise<SandboxInfo>;
  /** Removes every container, network and volume of the sandbox. Idempotent. */
  destroy(id: string): Promise<void>;
  /** True while the sandbox's workstation container is running. */
  isRunning(id: string): Promise<boolean>;
  /** An interactive login shell (bash -l) as the learner in their home, with a TTY. */
  openShell(id: string, size: { cols: number; rows: number }): Promise<ShellHandle>;
  /** Operations labs and checks use (contract: ./contract.ts). */
  ops(id: string): SandboxOps;
  /** Destroys every sandbox and the mirror of this runner. */
  shutdown(): Promise<void>;
  /** Memory in use by the sandbox's containers (bytes), for the bench and the dashboard. */
  memoryUsage(id: string): Promise<{ workstation: number; registry: number }>;
}
