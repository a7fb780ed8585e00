/**
 * The Docker side of the session uids (sandbox/session-user.ts): which uids the engine's
 * containers hold, and the account files written on a volume of the session's by a helper.
 */
import type Docker from 'dockerode';
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
 * session's other volumes) written by a short-lived helper from the workstation image, and the
 * read-only bind mounts that put them over /etc (from the volume's folder on the engine's host,
 * so it works with the runner in a container too). A home volume without a quota is handed to
 * the uid by the same helper.
 */
export async function prepareAccounts(
  docker: Docker,
  image: string,
  names: { accounts: string; labels: Record<string, string>; chownHome?: string },
  u: SessionUser,
): Promise<Docker.MountSettings[]> {
  await docker.createVolume({ Name: names.accounts, Labels: names.labels });
  const chown = names.chownHome ? '\nchown "$LEARNER_UID:$LEARNER_UID" /mnt/home' : '';
  const env = accountEnv(u);
  const helper = await docker.createContainer({
    Image: image,
    User: '0:0',
    Entrypoint: ['sh', '-c', ACCOUNTS_SCRIPT + chown],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: names.labels,
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      CapAdd: names.chownHome ? ['CHOWN'] : [],
      SecurityOpt: ['no-new-privileges'],
      Mounts: [
        { Type: 'volume', Source: names.accounts, Target: '/accounts' },
        ...(names.chownHome ? [{ Type: 'volume' as const, Source: names.chownHome, Target: '/mnt/home', VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] }] : []),
      ],
    },
  });
  try {
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`the account files were not written (exit ${StatusCode})`);
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
  const { Mountpoint } = await docker.getVolume(names.accounts).inspect();
  return ACCOUNT_FILES.map((f) => ({ Type: 'bind' as const, Source: `${Mountpoint}/${f}`, Target: `/etc/${f}`, ReadOnly: true }));
}
