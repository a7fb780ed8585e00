/**
 * The Docker side of the session uids (sandbox/session-user.ts): which uids the engine's
 * containers hold, and the account files written on a volume of the session's by its registry holder.
 */
import type Docker from 'dockerode';
import type { HolderSetup } from './registry-netns.ts';
import { ACCOUNT_FILES, ACCOUNTS_SCRIPT, accountEnv, pickFreeUser, type SessionUser } from '../sandbox/session-user.ts';

/** The label that records a workstation's uid (so no two sandboxes on the engine share one). */
export const UID_LABEL = 'registry-lab.uid';

/** A free slot: none of the engine's containers (any runner) carries its uid, nor one being made here. */
export async function allocateUser(docker: Docker, reserved: Set<number>): Promise<SessionUser> {
  const taken: number[] = [];
  for (const c of await docker.listContainers({ all: true, filters: { label: [UID_LABEL] } })) taken.push(Number(c.Labels[UID_LABEL]));
  return pickFreeUser(taken, reserved);
}

/**
 * The session's account files, on a volume of its own (`rl-<id>-accounts`, removed with the
 * session's other volumes), written by the session's registry holder before it closes its
 * namespace (registry-netns.ts: no container of their own), and the read-only bind mounts that
 * put them over /etc (from the volume's folder on the engine's host, so it works with the runner
 * in a container too). A home volume without a quota is handed to the uid there too.
 */
export function accountsSetup(u: SessionUser, names: { accounts: string; chownHome?: string }): HolderSetup {
  const chown = names.chownHome ? '\nchown "$LEARNER_UID:$LEARNER_UID" /mnt/home' : '';
  return {
    // Once: a restarted holder leaves the files the workstation has mounted as they are.
    script: `if [ ! -e /accounts/subgid ]; then\n${ACCOUNTS_SCRIPT}${chown}\nfi`,
    env: Object.entries(accountEnv(u)).map(([k, v]) => `${k}=${v}`),
    mounts: [
      { Type: 'volume', Source: names.accounts, Target: '/accounts' },
      ...(names.chownHome ? [{ Type: 'volume' as const, Source: names.chownHome, Target: '/mnt/home', VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] }] : []),
    ],
    capAdd: names.chownHome ? ['CHOWN'] : [],
  };
}

/** The bind mounts of the account files written by accountsSetup. */
export async function accountMounts(docker: Docker, accounts: string): Promise<Docker.MountSettings[]> {
  const { Mountpoint } = await docker.getVolume(accounts).inspect();
  return ACCOUNT_FILES.map((f) => ({ Type: 'bind' as const, Source: `${Mountpoint}/${f}`, Target: `/etc/${f}`, ReadOnly: true }));
}
