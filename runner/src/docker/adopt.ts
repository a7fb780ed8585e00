/**
 * Sandboxes that outlive a runner process: finding them on the engine by label, and taking
 * one over after a restart (its network, workstation and registry stay as they were).
 */
import type Docker from 'dockerode';
import { ignoreMissing } from './client.ts';
import { LABEL, labelFilter } from './labels.ts';
import type { Mirror } from './mirror.ts';
import type { FoundSandbox } from '../sandbox/provider.ts';
import { CPU_SHARES, refsFor, type SandboxRefs } from './sandbox.ts';
import { holderReady } from './registry-netns.ts';
import { TERMINAL_MOUNT } from './terminal-socket.ts';
import { UID_LABEL } from './session-user.ts';

/** Every sandbox of a runner: ids from the session label of its containers, networks and volumes. */
export async function listSandboxes(docker: Docker, runnerId: string): Promise<Map<string, FoundSandbox>> {
  const filters = labelFilter(runnerId);
  const found = new Map<string, FoundSandbox>();
  const note = (id: string | undefined, workstation = false, running = false) => {
    if (!id) return;
    const f = found.get(id) ?? { workstation: false, running: false };
    f.workstation ||= workstation;
    f.running ||= running;
    found.set(id, f);
  };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const registries: Promise<void>[] = [];
  for (const c of containers) {
    const role = c.Labels[LABEL.role];
    const ws = role === 'workstation';
    note(c.Labels[LABEL.session], ws, ws && c.State === 'running');
    if ((role === 'registry' || role === 'extra-registry') && c.Labels[LABEL.session]) registries.push(noteRegistry(docker, found.get(c.Labels[LABEL.session])!, c));
  }
  await Promise.all(registries);
  for (const n of networks) note(n.Labels?.[LABEL.session]);
  for (const v of volumes.Volumes ?? []) note(v.Labels?.[LABEL.session]);
  return found;
}

/** Adds a registry container to its session's health: the list says whether it runs, an inspect how often it restarted. */
async function noteRegistry(docker: Docker, f: FoundSandbox, c: Docker.ContainerInfo): Promise<void> {
  const info = await ignoreMissing(docker.getContainer(c.Id).inspect()).catch(() => null);
  const h = (f.registry ??= { up: true, restarts: 0 });
  h.up &&= c.State === 'running' && Boolean(info?.State.Running);
  h.restarts += info?.RestartCount ?? 0;
}

/** The refs of a running sandbox left by a previous run; its registry is started if it stopped, the mirror joins again. */
export async function adoptSandbox(docker: Docker, id: string, mirror: Mirror): Promise<SandboxRefs> {
  const refs = refsFor(id);
  const ws = await ignoreMissing(docker.getContainer(refs.workstation).inspect());
  if (!ws) throw new Error(`sandbox ${id}: its workstation is gone`);
  if (!ws.State.Running) throw new Error(`sandbox ${id}: its workstation is not running (exit code ${ws.State.ExitCode})`);
  const workstationIp = ws.NetworkSettings.Networks[refs.network]?.IPAddress;
  if (!workstationIp) throw new Error(`sandbox ${id}: the workstation has no address on ${refs.network}`);
  const netns = await ignoreMissing(docker.getContainer(refs.registryNetns).inspect());
  if (!netns) throw new Error(`sandbox ${id}: its registries' network namespace is gone`);
  let registryIp = netns.NetworkSettings.Networks[refs.network]?.IPAddress;
  if (!netns.State.Running || !registryIp) {
    await docker.getContainer(refs.registryNetns).start();
    registryIp = await holderReady(docker.getContainer(refs.registryNetns), { name: refs.registryNetns, network: refs.network });
  }
  const reg = await ignoreMissing(docker.getContainer(refs.registry).inspect());
  if (!reg) throw new Error(`sandbox ${id}: its registry container is gone`);
  if (!reg.State.Running) await docker.getContainer(refs.registry).start();
  // A mirror started by this run is not on the session network yet (already there: fine).
  await mirror.attach(refs.network).catch(() => undefined);
  // The container's user is root for its first moments (sandbox.ts): the learner's uid is on a label.
  // A runner that stopped while this one started left it at the starting weight.
  if (ws.HostConfig.CpuShares === CPU_SHARES.starting) await docker.getContainer(refs.workstation).update({ CpuShares: CPU_SHARES.ready });
  const uid = Number(ws.Config.Labels?.[UID_LABEL] ?? ws.Config.User?.split(':')[0]) || 1000;
  const terminalSocket = (ws.Mounts ?? []).some((m) => m.Destination === TERMINAL_MOUNT);
  return { ...refs, workstationIp, registryIp, uid, terminalSocket };
}
