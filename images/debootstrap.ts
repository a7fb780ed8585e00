import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { followProgress } from './progress.ts';

/** The Debian archive this host uses (first non-security URI of its apt sources). DEBIAN_MIRROR overrides. */
export function debianMirror(): string {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR.replace(/\/+$/, '');
  const texts: string[] = [];
  if (existsSync('/etc/apt/sources.list')) texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (f.endsWith('.sources') || f.endsWith('.list')) texts.push(readFileSync(join('/etc/apt/sources.list.d', f), 'utf8'));
    }
  }
  const uris: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const deb822 = /^URIs:\s*(\S+)/i.exec(line);
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
      const uri = deb822?.[1] ?? oneLine?.[1];
      if (uri && /^https?:\/\//.test(uri)) uris.push(uri.replace(/\/+$/, ''));
    }
  }
  const main = uris.find((u) => !/security/.test(u));
  if (!main) throw new Error('no Debian archive found in /etc/apt/sources.list[.d]; set DEBIAN_MIRROR=http://…/debian');
  return main;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}${cmd === 'debootstrap' ? ' (apt-get install debootstrap)' : ''}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}

/** debootstrap --variant=minbase trixie, then `docker import` it as `name`. */
export async function debootstrapBase(docker: Docker, name: string, mirror: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-lab-rootfs-'));
  try {
    await run('debootstrap', ['--variant=minbase', 'trixie', dir, mirror]);
    rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
    rmSync(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
    await run('mkdir', ['-p', join(dir, 'var/cache/apt/archives/partial'), join(dir, 'var/lib/apt/lists/partial')]);
    const tar = spawn('tar', ['-C', dir, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = name.split(/:(?=[^/]+$)/);
    const stream = await docker.importImage(tar.stdout as unknown as string, { repo, tag, changes: ['CMD ["bash"]', 'ENV LANG=C.UTF-8'] } as object);
    await followProgress(docker, stream, 'docker import');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
