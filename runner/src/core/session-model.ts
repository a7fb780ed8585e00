/** What a session is, in memory. The store (runner/src/store) keeps the durable part of it. */
import type { RegistryHealth } from '../sandbox/provider.ts';
import type { LabState } from '../../../checks/context.ts';
import type { Config } from '../config.ts';
import type { EndReason } from '../../../protocol/terminal.ts';

export type SessionState = 'starting' | 'ready' | 'stopped';
/** Why a session stopped: the one list is protocol/terminal.ts END_REASONS (a terminal is told it). */
export type StopReason = EndReason;

export type SessionSettings = Pick<
  Config,
  | 'sessionTtlMs'
  | 'sessionIdleMs'
  | 'sessionMaxTtlMs'
  | 'sessionWarnBeforeMs'
  | 'sessionStoppedKeepMs'
  | 'sessionStartTimeoutMs'
  | 'warmPoolSize'
  | 'maxSessions'
  | 'maxSessionsPerClient'
  | 'maxSessionCreatesPerMinute'
> & {
  /** How often live sandboxes are probed (a dead workstation stops its session); 0 = never. Default 5 s. */
  sessionProbeMs?: number;
};

export interface Session {
  readonly id: string;
  readonly createdAt: number;
  state: SessionState;
  /** Epoch ms. */
  expiresAt: number;
  lab: string | null;
  workshop: string | null;
  name: string | null;
  /** The session's language (issue 20): check messages and quiz explanations; changeable (PATCH). */
  lang: 'ru' | 'en';
  clientAddress: string;
  /** Why the sandbox could not start or stopped (state stopped, stopReason failed, vanished or died). */
  error: string | null;
  /** Why the lab given at creation could not be set up. */
  labError: string | null;
  /** Setup of the lab given at creation: pending until the sandbox is ready. */
  labStatus: 'pending' | 'starting' | 'ready' | 'failed' | null;
  stopReason: StopReason | null;
  fromPool: boolean;
  readyAt: number | null;
  /** Terminals connected now. */
  terminals: number;
  /** The session registries as the liveness probe last saw them (not kept in the store). */
  registry: RegistryHealth | null;
  /** Per-lab grading memory (checks/context.ts LabState); kept in the store (lab-states.ts). */
  readonly labStates: Map<string, LabState>;
}

export interface CreateSessionInput {
  lab?: string | null;
  workshop?: string | null;
  name?: string | null;
  /** 'ru' when absent. */
  lang?: 'ru' | 'en';
  clientAddress: string;
  /**
   * Seats of the workshop joined (with `workshop`, its id): the session counts against them
   * (409 workshop_full) instead of the per-client limits.
   */
  seats?: number | null;
}
