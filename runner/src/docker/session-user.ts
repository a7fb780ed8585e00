/**
 * A kernel uid of its own for every session (where the runner is root on the host, as for the
 * disk quota): the workstation runs as `learner` = uid U, and its rootless engine maps a
 * subordinate range of its own, so no per-uid account of the kernel (user namespaces, processes,
 * inotify, message queues, keys) is shared between two sessions. The image's account files are
 * the image's own with the learner's line changed, bind-mounted read-only per session.
 */
import { randomInt } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { firstFileOf } from './archive.ts';
import { LABEL } from './labels.ts';

/** Session uids are FIRST_UID + slot; their subordinate ranges FIRST_SUB + slot × RANGE. */
const FIRST_UID = 200_000;
const FIRST_SUB = 16_777_216;
export const RANGE = 65_536;
export const SLOTS = 4096;
/** The label that records a workstation's uid (so no two sandboxes on the engine share one). */
export const UID_LABEL = 'registry-lab.uid';
const ACCOUNT_FILES = ['passwd', 'group', 'subuid', 'subgid'] as const;

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

const imageAccounts = new Map<string, Promise<{ passwd: string; group: string }>>();

/** /etc/passwd and /etc/group as the image has them (read once per image). */
function accountsOf(docker: Docker, image: string): Promise<{ passwd: string; group: string }> {
  let p = imageAccounts.get(image);
  if (!p) {
    p = (async () => {
      const c = await docker.createContainer({ Image: image, Entrypoint: ['true'], Labels: { [LABEL.managed]: 'true' } });
      try {
        const read = async (path: string) => (await firstFileOf(await c.getArchive({ path }), 1024 * 1024))?.toString('utf8') ?? '';
        return { passwd: await read('/etc/passwd'), group: await read('/etc/group') };
      } finally {
        await c.remove({ force: true }).catch(() => undefined);
      }
    })();
    p.catch(() => imageAccounts.delete(image));
    imageAccounts.set(image, p);
  }
  return p;
}

/** The four account files for `u`: the learner's lines say U, the subordinate range is the session's. */
export function accountFiles(image: { passwd: string; group: string }, u: SessionUser): Record<(typeof ACCOUNT_FILES)[number], string> {
  const swap = (text: string, line: (fields: string[]) => string) =>
    text
      .split('\n')
      .map((l) => (l.startsWith('learner:') ? line(l.split(':')) : l))
      .join('\n');
  return {
    passwd: swap(image.passwd, (f) => [f[0], f[1], u.uid, u.uid, ...f.slice(4)].join(':')),
    group: swap(image.group, (f) => [f[0], f[1], u.uid, ...f.slice(3)].join(':')),
    subuid: `learner:${u.subStart}:${RANGE}\n`,
    subgid: `learner:${u.subStart}:${RANGE}\n`,
  };
}

/** Writes the files under `dir` and returns the read-only bind mounts that put them in /etc. */
export async function accountMounts(docker: Docker, image: string, dir: string, u: SessionUser): Promise<Docker.MountSettings[]> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const files = accountFiles(await accountsOf(docker, image), u);
  const mounts: Docker.MountSettings[] = [];
  for (const name of ACCOUNT_FILES) {
    await writeFile(join(dir, name), files[name], { mode: 0o644 });
    mounts.push({ Type: 'bind', Source: join(dir, name), Target: `/etc/${name}`, ReadOnly: true });
  }
  return mounts;
}

export async function removeAccountFiles(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
