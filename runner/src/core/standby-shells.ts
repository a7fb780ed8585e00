/**
 * A login shell opened ahead for every warm-pool sandbox and handed to the first terminal of the
 * session that claims it: a learner joining a room whose reserve is warm gets a prompt without
 * waiting for an exec to be made and a login shell to start on a host the room keeps busy
 * (issue 19: join to a shell answering, p95 2.15 s with 30 joining while the room typed).
 *
 * The shell's first output (banner, prompt) waits in its paused stream until the terminal reads
 * it. One that ended meanwhile, or failed to open, is replaced by a fresh one as before; one whose
 * sandbox is destroyed unclaimed is closed (hang-up) with it.
 */
import type { SandboxProvider, ShellHandle } from '../sandbox/provider.ts';
import { errMessage, type Logger } from './log.ts';
import { withMethods } from './provider-wrappers.ts';

/** The size a standby shell starts at; the terminal's own is set when it takes the shell. */
const STANDBY_SIZE = { cols: 80, rows: 24 };

interface Standby {
  shell: Promise<ShellHandle | null>;
  ended: boolean;
}

export function standbyShells(provider: SandboxProvider, log: Logger): SandboxProvider {
  const standby = new Map<string, Standby>();

  const open = (id: string) => {
    const s: Standby = { ended: false, shell: Promise.resolve(null) };
    s.shell = provider.openShell(id, STANDBY_SIZE).then(
      (h) => {
        void h.exited.then(() => (s.ended = true));
        // Nobody reads it yet: an error (the Kubernetes exec aborted as it closes) must not go unheard.
        h.stream.on('error', (err) => log.debug({ sandbox: id, err: errMessage(err) }, 'standby shell stream error'));
        return h;
      },
      (err: unknown) => {
        log.debug({ sandbox: id, err: errMessage(err) }, 'standby shell could not open');
        return null;
      },
    );
    standby.set(id, s);
  };
  const drop = (id: string) => {
    const s = standby.get(id);
    standby.delete(id);
    if (s) void s.shell.then((h) => h?.close());
  };

  const create: SandboxProvider['create'] = async (id, opts) => {
    const info = await provider.create(id, opts);
    if (opts?.pool) open(id);
    return info;
  };
  const openShell: SandboxProvider['openShell'] = async (id, size) => {
    const s = standby.get(id);
    standby.delete(id);
    const h = s ? await s.shell : null;
    if (h && !s!.ended && !h.stream.destroyed) {
      if (size.cols !== STANDBY_SIZE.cols || size.rows !== STANDBY_SIZE.rows) await h.resize(size.cols, size.rows);
      return h;
    }
    if (h) void h.close();
    return provider.openShell(id, size);
  };
  const destroy: SandboxProvider['destroy'] = (id) => {
    drop(id);
    return provider.destroy(id);
  };
  const shutdown: SandboxProvider['shutdown'] = () => {
    for (const id of [...standby.keys()]) drop(id);
    return provider.shutdown();
  };
  return withMethods(provider, { create, openShell, destroy, shutdown });
}
