/**
 * What a backend knows of the sandboxes it holds right now: each one's references (container
 * names, Pod names and addresses) and its ops object, made once per sandbox, with the errors of
 * its calls put in sandbox/errors.ts terms. Both backends keep their sandboxes here, so forgetting
 * one (destroy), or all (release, shutdown), is written once.
 */
import type { SandboxOps } from '../../../checks/sandbox.ts';
import { UnknownSandboxError } from './errors.ts';
import { PerSessionCache } from './per-session-cache.ts';

export class KnownSandboxes<Refs> {
  private readonly refs = new Map<string, Refs>();
  private readonly ops: PerSessionCache<SandboxOps>;

  /** `makeOps`: the backend's ops for one sandbox; `translate`: its errors into sandbox/errors.ts ones. */
  constructor(makeOps: (id: string, refs: Refs) => SandboxOps, translate: (err: unknown) => unknown) {
    this.ops = new PerSessionCache((id) => translatedOps(makeOps(id, this.get(id)), translate));
  }

  /** The sandbox's references; UnknownSandboxError when this backend holds no such sandbox. */
  get(id: string): Refs {
    const r = this.refs.get(id);
    if (r === undefined) throw new UnknownSandboxError(id);
    return r;
  }

  set(id: string, refs: Refs): void {
    this.refs.set(id, refs);
  }

  opsOf(id: string): SandboxOps {
    return this.ops.get(id);
  }

  /** Forgets one sandbox (it is being destroyed). */
  forget(id: string): void {
    this.refs.delete(id);
    this.ops.delete(id);
  }

  /** Forgets every sandbox (release, shutdown). */
  clear(): void {
    this.refs.clear();
    this.ops.clear();
  }
}

/** `ops` with every failure of its calls passed through `translate`. */
export function translatedOps(ops: SandboxOps, translate: (err: unknown) => unknown): SandboxOps {
  const wrap =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      f(...args).catch((err: unknown) => {
        throw translate(err);
      });
  return {
    sessionId: ops.sessionId,
    home: ops.home,
    exec: wrap(ops.exec),
    graderExec: wrap(ops.graderExec),
    readFile: wrap(ops.readFile),
    copyIn: wrap(ops.copyIn),
    registryUrl: (port) => ops.registryUrl(port),
    startRegistry: wrap(ops.startRegistry),
    probeImage: wrap(ops.probeImage),
  };
}
