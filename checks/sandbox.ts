/**
 * What the grading engine and the labs need from a learner's sandbox (SandboxOps), declared by
 * its consumer: checks/ owns it, each backend (runner/src/docker/, runner/src/kubernetes/)
 * implements it. It imports nothing, so a backend that implements it pulls in nothing of the
 * engine.
 */

export interface ExecOptions {
  /** `learner` (default) or `root`. */
  user?: 'learner' | 'root';
  env?: Record<string, string>;
  /** Working directory; defaults to the learner's home. */
  cwd?: string;
  stdin?: string | Buffer;
  /** Kills the command after this long and reports exit code 124 (default 60 s). */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FileToCopy {
  /** Relative to the destination directory. */
  path: string;
  content: string | Buffer;
  /** Octal mode, default 0o644 (0o755 for directories). */
  mode?: number;
}

/**
 * A sentence for the learner as a catalogue key with parameters: the shape of checks/messages.ts
 * `Message`, declared here so this file still imports nothing; the engine renders it in the
 * session's language.
 */
export interface ProbeMessage {
  readonly key: string;
  readonly params?: Readonly<Record<string, string | number | ProbeMessage>>;
}

export function probeMessage(key: string, params?: Record<string, string | number | ProbeMessage>): ProbeMessage {
  return params ? { key, params } : { key };
}

export interface HttpProbeResult {
  ok: boolean;
  status?: number;
  body?: string;
  /**
   * What went wrong, in plain words (image not found, exited with code N, no answer in 10 s...):
   * a check message (keys probe.* of checks/messages.{ru,en}.json) a lab puts into its own.
   */
  error?: string | ProbeMessage;
  /** `User` from the image config, as run. */
  user?: string;
}

export interface SandboxOps {
  readonly sessionId: string;
  /** Home of the learner inside the workstation: `/home/learner`. */
  readonly home: string;
  /**
   * Runs a command in the learner's workstation, with the learner's tools. A string runs
   * under `bash -lc`. What it reports is only as trustworthy as the learner's environment.
   */
  exec(cmd: string | string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs a command in a grader container the learner cannot touch. It shares the
   * workstation's network namespace (so `localhost:5000` is the session's registry) and
   * has cosign, skopeo, oras, curl, jq and git. Its filesystem is its own.
   */
  graderExec(cmd: string | string[], opts?: Omit<ExecOptions, 'user' | 'cwd'> & { files?: FileToCopy[] }): Promise<ExecResult>;
  /** Reads a file from the workstation's filesystem (not through the learner's tools); null if absent or not a regular file. */
  readFile(path: string, maxBytes?: number): Promise<Buffer | null>;
  /** Writes files under `destDir` in the workstation, owned by the learner (created if missing). */
  copyIn(destDir: string, files: FileToCopy[]): Promise<void>;
  /**
   * Base URL (no trailing slash) at which the runner reaches the registry listening on
   * `localhost:<port>` inside the workstation, e.g. `http://10.213.4.2:5000`.
   */
  registryUrl(port?: number): string;
  /**
   * (Re)starts an extra `registry:2` for this session on `localhost:<port>` in the
   * workstation, with htpasswd auth when given (bcrypt lines, `user:$2y$...`). Idempotent:
   * starting again replaces it with an empty one.
   */
  startRegistry(opts: { port: number; htpasswd?: string }): Promise<void>;
  /**
   * Copies an image from the session's registry (a reference as seen inside the
   * workstation, e.g. `localhost:5000/shop/api:slim`) into the runner's engine, starts it
   * in an isolated container with no network but the runner's, and probes
   * `GET http://<container>:<port><path>` until `timeoutMs`. Everything it made is removed.
   */
  probeImage(ref: string, opts: { port: number; path: string; timeoutMs: number }): Promise<HttpProbeResult>;
}
