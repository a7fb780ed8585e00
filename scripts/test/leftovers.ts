/**
 * What a test run may leave behind, compared before/after: Docker containers, networks,
 * volumes and images (e.g. the rl-probe/* images the multistage probe loads), files in the
 * run's own TMPDIR, and processes that carry the run's marker in their environment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { loadConfig } from '../../runner/src/config.ts';

/** QUOTA_DIR's and TERMINAL_DIR's defaults, from the runner's own configuration. */
const DEFAULTS = loadConfig({});

/** Every container, custom network, volume and image: labelled or not, so an unlabelled leak shows too. */
export async function dockerObjects(): Promise<string[]> {
  const docker = new Docker();
  const [c, n, v, i] = await Promise.all([docker.listContainers({ all: true }), docker.listNetworks(), docker.listVolumes(), docker.listImages({ all: false })]);
  return [
    ...c.map((x) => `container ${x.Names[0]} (${x.Image})`),
    ...n.filter((x) => !['bridge', 'host', 'none'].includes(x.Name)).map((x) => `network ${x.Name}`),
    ...(v.Volumes ?? []).map((x) => `volume ${x.Name}`),
    // registry-lab/* are the project's own build products, kept on purpose as a cache
    // (npm run images; the compose test's runner image); anything else new is a leak.
    ...i
      .filter((x) => !(x.RepoTags ?? []).some((t) => t.startsWith('registry-lab/')))
      .map((x) => `image ${x.Id.slice(7, 19)} ${(x.RepoTags ?? []).filter((t) => t !== '<none>:<none>').join(',') || '<untagged>'}`),
  ];
}

/** Entries left in a directory (the run's TMPDIR), one level deep. */
export function tempLeftovers(dir: string): string[] {
  try {
    return readdirSync(dir).map((name) => `temp ${dir}/${name}`);
  } catch {
    return [];
  }
}

/** Live processes (other than this one) whose environment holds `marker` (NAME=value). */
export function markedProcesses(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie is already gone, its parent has not reaped it yet
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      out.push(`process ${pid} ${cmd.slice(0, 160)}`);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

/** Session disk quotas: sparse files in QUOTA_DIR and the loop devices behind them (runner/src/docker/quota.ts). */
export function quotaLeftovers(dir = process.env.QUOTA_DIR || DEFAULTS.quotaDir): string[] {
  const files = tempLeftovers(dir).map((f) => f.replace(/^temp /, 'quota file '));
  let loops: string[] = [];
  try {
    // /sys/block/loopN/loop/backing_file names what each attached loop device serves.
    loops = readdirSync('/sys/block')
      .filter((d) => d.startsWith('loop'))
      .flatMap((d) => {
        try {
          const backing = readFileSync(`/sys/block/${d}/loop/backing_file`, 'utf8').trim();
          return backing.startsWith(dir) ? [`loop device /dev/${d} (${backing})`] : [];
        } catch {
          return [];
        }
      });
  } catch {
    // no /sys/block: no loop devices to leak
  }
  return [...files, ...loops];
}

/** Terminal sockets' directories: one per runner, one per session in it (runner/src/docker/terminal-socket.ts). */
export function terminalLeftovers(dir = process.env.TERMINAL_DIR || DEFAULTS.terminalDir): string[] {
  return tempLeftovers(dir).flatMap((runner) => {
    const path = runner.replace(/^temp /, '');
    return [`terminal directory ${path}`, ...tempLeftovers(path).map((f) => f.replace(/^temp /, 'terminal directory '))];
  });
}

/** Everything on the host a run may leave that outlives it: Docker objects, quota files, terminal directories. */
export async function hostObjects(): Promise<string[]> {
  return [...(await dockerObjects()), ...quotaLeftovers(), ...terminalLeftovers()];
}
