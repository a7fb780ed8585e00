/**
 * Per-session disk quotas on Docker: loop-mounted ext4 file systems for a session's home and registries.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { labelsFor, objectName } from './labels.ts';

const run = promisify(execFile);
const LEARNER = '1000:1000';
/** QUOTA_DIR's default (runner/src/config-variables.ts). */
export const DEFAULT_QUOTA_DIR = '/var/lib/registry-lab/quota';

/** What a quota file system holds: the learner's home, or the data of the session's registries. */
export type QuotaPart = 'home' | 'registry';

/**
 * Per-session disk quota: the learner's home (which holds the inner engine's storage in
 * ~/.local/share/docker) and the session registries' data are ext4 file systems of their own, in
 * sparse files on loop devices, mounted by Docker's local volume driver. The quota is split
 * between them (two thirds home, one third registries), so a session never takes more than the
 * quota of the host's disk; writing past either fails with ENOSPC inside the sandbox only. Needs the runner to be root on the Docker host (losetup, mkfs.ext4, debugfs); where it is
 * not (the runner inside a container), `available()` is false and sessions get no quota.
 */
export class DiskQuota {
  readonly bytes: number;
  readonly dir: string;
  readonly runnerId: string;

  constructor(runnerId: string, bytes: number, dir: string) {
    this.runnerId = runnerId;
    this.bytes = bytes;
    this.dir = dir;
  }

  static async usable(): Promise<boolean> {
    if (process.getuid?.() !== 0) return false;
    try {
      // Finding a free loop device needs /dev/loop-control: false inside a container.
      await run('losetup', ['--find']);
      await run('mkfs.ext4', ['-V']);
      await run('debugfs', ['-V']);
      return true;
    } catch {
      return false;
    }
  }

  private file(id: string, part: QuotaPart): string {
    return join(this.dir, `${this.runnerId}--${id}${part === 'home' ? '' : `--${part}`}.ext4`);
  }

  /** Bytes of one part (ext4 needs a few MiB at least). */
  sizeOf(part: QuotaPart): number {
    const share = part === 'home' ? Math.floor((this.bytes * 2) / 3) : Math.floor(this.bytes / 3);
    return Math.max(share, 16 * 1024 * 1024);
  }

  /** Makes one of the session's quota volumes; returns its name. */
  async create(docker: Docker, id: string, part: QuotaPart, owner = LEARNER): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(id, part);
    await run('truncate', ['-s', String(this.sizeOf(part)), file]);
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${part === 'home' ? owner : '0:0'},lazy_itable_init=1,lazy_journal_init=1`, file]);
    // An empty root lets Docker copy the image's /home/learner into the volume on first use.
    await run('debugfs', ['-w', '-R', 'rmdir lost+found', file]);
    const { stdout } = await run('losetup', ['--find', '--show', file]);
    const device = stdout.trim();
    const name = objectName(id, part);
    await docker.createVolume({
      Name: name,
      Labels: { ...labelsFor(this.runnerId, 'volume', id), 'registry-lab.quota': file },
      DriverOpts: { type: 'ext4', device, o: 'nodev,nosuid' },
    });
    return name;
  }

  /** Detaches the loop devices and deletes the files (after the volumes are gone). */
  async release(id: string): Promise<void> {
    await this.releaseFile(this.file(id, 'home'));
    await this.releaseFile(this.file(id, 'registry'));
  }

  /** Every file of this runner (at start, after a crash). */
  async releaseAll(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) if (n.startsWith(`${this.runnerId}--`)) await this.releaseFile(join(this.dir, n));
  }

  /** Every file of this runner but those of the sandboxes still on the engine (at start). */
  async releaseExcept(keep: string[]): Promise<void> {
    const kept = new Set(keep.flatMap((id) => [this.file(id, 'home'), this.file(id, 'registry')].map((f) => f.slice(this.dir.length + 1))));
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) if (n.startsWith(`${this.runnerId}--`) && !kept.has(n)) await this.releaseFile(join(this.dir, n));
  }

  private async releaseFile(file: string): Promise<void> {
    const { stdout } = await run('losetup', ['--associated', file]).catch(() => ({ stdout: '' }));
    for (const line of stdout.split('\n')) {
      const dev = line.split(':')[0]?.trim();
      if (dev) await run('losetup', ['--detach', dev]).catch(() => undefined);
    }
    await rm(file, { force: true, recursive: true });
  }
}
