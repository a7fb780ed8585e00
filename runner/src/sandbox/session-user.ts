/**
 * A kernel uid of its own for every session: the workstation runs as `learner` = uid U, and its
 * rootless engine maps a subordinate range of its own, so no per-uid account of the kernel (user
 * namespaces, processes, inotify, message queues, keys) is shared between two sessions. The
 * account files are the image's own with the learner's line changed, mounted read-only per
 * session (docker/session-user.ts accountsSetup, the init container on Kubernetes); this
 * module holds the slots and the account script both backends use.
 */
import { randomInt } from 'node:crypto';

/** Session uids are FIRST_UID + slot; their subordinate ranges FIRST_SUB + slot × RANGE. */
const FIRST_UID = 200_000;
const FIRST_SUB = 16_777_216;
export const RANGE = 65_536;
export const SLOTS = 4096;

export interface SessionUser {
  uid: number;
  /** First host uid of its rootless engine's range (65,536 of them). */
  subStart: number;
}

export function userOfSlot(slot: number): SessionUser {
  return { uid: FIRST_UID + slot, subStart: FIRST_SUB + slot * RANGE };
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
 * values) from the image's own, written to /accounts (Docker's registry holder, Kubernetes' init
 * container).
 */
export const ACCOUNTS_SCRIPT = `set -e
awk -F: -v OFS=: -v u="$LEARNER_UID" '$1 == "learner" { $3 = u; $4 = u } 1' /etc/passwd > /accounts/passwd
awk -F: -v OFS=: -v u="$LEARNER_UID" '$1 == "learner" { $3 = u } 1' /etc/group > /accounts/group
echo "learner:$SUB_START:${RANGE}" > /accounts/subuid
cp /accounts/subuid /accounts/subgid
chmod 644 /accounts/passwd /accounts/group /accounts/subuid /accounts/subgid`;

export const ACCOUNT_FILES = ['passwd', 'group', 'subuid', 'subgid'] as const;

export const accountEnv = (u: SessionUser) => ({ LEARNER_UID: String(u.uid), SUB_START: String(u.subStart) });
