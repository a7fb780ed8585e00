import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { IMAGES, MIRROR_CONTENT, RECIPE_LABEL } from './names.ts';
import { followProgress } from './progress.ts';

const mirrorConfig = readFileSync(new URL('./mirror/mirror.yml', import.meta.url));

/**
 * The mirror image: a registry whose content (MIRROR_CONTENT) is baked into the image at
 * /srv/mirror (not a volume, so `docker commit` keeps it), served read-only by mirror.yml.
 */
export async function buildMirror(docker: Docker, log: (m: string) => void, hashOf: (parts: Array<string | Buffer>) => string): Promise<void> {
  const ids = await Promise.all([IMAGES.registry, ...MIRROR_CONTENT.map((c) => c.image)].map(async (n) => (await docker.getImage(n).inspect()).Id));
  const recipe = hashOf([...ids, ...MIRROR_CONTENT.map((c) => c.as), mirrorConfig]);
  const current = await docker.getImage(IMAGES.mirror).inspect().catch(() => null);
  if (current?.Config?.Labels?.[RECIPE_LABEL] === recipe) return log(`${IMAGES.mirror}: up to date (${recipe})`);
  log(`${IMAGES.mirror}: filling (${recipe})…`);
  const name = `registry-lab-mirror-build-${process.pid}`;
  const container = await docker.createContainer({
    name,
    Image: IMAGES.registry,
    Env: ['REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/srv/mirror'],
    Labels: { 'registry-lab.managed': 'true', 'registry-lab.role': 'mirror-build' },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  const pushed: string[] = [];
  try {
    const p = pack();
    p.entry({ name: 'etc/docker/registry/mirror.yml', mode: 0o644 }, mirrorConfig);
    p.finalize();
    await container.putArchive(p as unknown as Readable, { path: '/' });
    await container.start();
    const port = (await container.inspect()).NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort;
    if (!port) throw new Error('mirror build registry has no published port');
    const base = `127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      if (await fetch(`http://${base}/v2/`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const { image, as } of MIRROR_CONTENT) {
      const [repo, tag] = `${base}/${as}`.split(/:(?=[^/]+$)/);
      await docker.getImage(image).tag({ repo, tag });
      pushed.push(`${repo}:${tag}`);
      log(`${IMAGES.mirror}: pushing ${as}`);
      // The engine wants an X-Registry-Auth header even for an anonymous registry.
      const stream = await docker.getImage(`${repo}:${tag}`).push({ authconfig: {} } as object);
      await followProgress(docker, stream, `push ${as}`);
    }
    await container.stop();
    await container.commit({
      repo: IMAGES.mirror.split(':')[0],
      tag: IMAGES.mirror.split(':')[1],
      changes: [`LABEL ${RECIPE_LABEL}=${recipe}`, 'CMD ["/etc/docker/registry/mirror.yml"]'],
    } as object);
    log(`${IMAGES.mirror}: ready`);
  } finally {
    for (const ref of pushed) await docker.getImage(ref).remove().catch(() => undefined);
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}
