/**
 * A kernel uid of its own for every session: the workstation runs as `learner` = uid U, and its
 * rootless engine maps a subordinate range of its own, so no per-uid account of the kernel (user
 * namespaces, processes, inotify, message queues, keys) is shared between two sessions. The
 * account files are the image's own with the learner's line changed, mounted read-only per
 * session (prepareAccounts here, the init container on Kubernetes).
 */
import { randomInt } from 'node:crypto';
import type Docker from 'dockerode';

/** Session uids are FIRST_UID + slot; their subordinate ranges FIRST_SUB + slot × RANGE. */
const FIRST_UID = 200_000;
const FIRST_SUB = 16_777_216;
export const RANGE = 65_536;
export const SLOTS = 4096;
/** The label that records a workstation's uid (so no two sandboxes on the engine share one). */
export const UID_LABEL = 'registry-lab.uid';

export interface SessionUser {
  uid: number;
  /** First host uid of its rootless engine's range (65,536 of them). */
  subStart: number;
}

export function userOfSlot(slot: number): SessionUser {
  return { uid: FIRST_UID + slot, subStart: FIRST_SUB + slot * RANGE };
}

/** A free slot: none of the engine's containers (any runner) carries its uid, nor one being made here. */
export async function allocateUser(docker: Docker, reserved: Set<number>): Promise<SessionUser> {
  const taken: number[] = [];
  for (const c of await docker.listContainers({ all: true, filters: { label: [UID_LABEL] } })) taken.push(Number(c.Labels[UID_LABEL]));
  return pickFreeUser(taken, reserved);
}

/** A random slot whose uid is neither taken nor reserved; reserves it. */
export function pickFreeUser(taken: Iterable<number>, reserved: Set<number>): SessionUser {
  const used = new Set([...taken, ...reserved]);
  if (used.size >= SLOTS) throw new Error('no free session uid: every slot is taken');
  for (;;) {
    const u = userOfSlot(randomInt(SLOTS));
    if (!used.has(u.uid)) {
      reserved.add(u.uid);
      return u;
    }
  }
}

/**
 * The learner's account files for uid U (LEARNER_UID, SUB_START: numbers, passed as environment
 * values) from the image's own, written to /accounts. Shared with the Kubernetes init container.
 */
export const ACCOUNTS_SCRIPT = `set -e
awk -F: -v OFS=: -v u="$LEARNER_UID" '$1 == "learner" { $3 = u; $4 = u } 1' /etc/passwd > /accounts/passwd
awk -F: -v OFS=: -v u="$LEARNER_UID" '$1 == "learner" { $3 = u } 1' /etc/group > /accounts/group
echo "learner:$SUB_START:${RANGE}" > /accounts/subuid
cp /accounts/subuid /accounts/subgid
chmod 644 /accounts/passwd /accounts/group /accounts/subuid /accounts/subgid`;

export const ACCOUNT_FILES = ['passwd', 'group', 'subuid', 'subgid'] as const;

export const accountEnv = (u: SessionUser) => ({ LEARNER_UID: String(u.uid), SUB_START: String(u.subStart) });

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
