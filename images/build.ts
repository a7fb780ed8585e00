/**
 * `npm run images`: makes every image the platform needs, reusing what is already built when
 * its recipe has not changed. Pulls from Docker Hub where it answers; otherwise builds offline
 * from Debian's packages (the archive's address comes from this host's apt sources).
 *
 *   IMAGES_SOURCE=auto|pull|build   (default auto)
 *   DEBIAN_MIRROR=http://…/debian   (default: from /etc/apt/sources.list[.d])
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { debootstrapBase, debianMirror } from './debootstrap.ts';
import { buildMirror } from './mirror.ts';
import { followProgress } from './progress.ts';
import { IMAGES, RECIPE_LABEL, UPSTREAM } from './names.ts';

const here = new URL('.', import.meta.url).pathname;
const docker = new Docker();
const log = (msg: string) => console.log(`[images] ${msg}`);

function filesOf(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? filesOf(p) : [p];
    })
    .sort();
}

function hashOf(parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

async function imageInfo(name: string): Promise<Docker.ImageInspectInfo | null> {
  try {
    return await docker.getImage(name).inspect();
  } catch {
    return null;
  }
}

async function upToDate(name: string, recipe: string): Promise<boolean> {
  const info = await imageInfo(name);
  return info?.Config?.Labels?.[RECIPE_LABEL] === recipe;
}

function contextTar(dir: string): Readable {
  const p = pack();
  for (const f of filesOf(dir)) p.entry({ name: relative(dir, f), mode: statSync(f).mode & 0o777 }, readFileSync(f));
  p.finalize();
  return p as unknown as Readable;
}

/** Follows a build or pull, printing the Dockerfile steps as progress. */
function follow(stream: NodeJS.ReadableStream, name: string): Promise<void> {
  return followProgress(docker, stream, name, (event) => {
    const line = event.stream?.trim();
    if (line && /^Step \d+\/\d+/.test(line)) log(`${name}: ${line.slice(0, 110)}`);
  });
}

/** Builds images/<dir> as <name> on top of the base, labelled with its recipe hash. */
async function buildRecipe(name: string, dir: string, baseId: string, builderId = ''): Promise<void> {
  const ctx = join(here, dir);
  const recipe = hashOf([baseId, ...(builderId ? [builderId] : []), ...filesOf(ctx).flatMap((f) => [relative(ctx, f), readFileSync(f)])]);
  if (await upToDate(name, recipe)) return log(`${name}: up to date (${recipe})`);
  log(`${name}: building (${recipe})…`);
  const started = Date.now();
  const stream = await docker.buildImage(contextTar(ctx), {
    t: name,
    buildargs: { BASE: IMAGES.base, GOLANG: IMAGES.golang },
    labels: { [RECIPE_LABEL]: recipe },
    rm: true,
    forcerm: true,
  });
  await follow(stream, name);
  log(`${name}: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function pullTagged(upstream: string, name: string): Promise<void> {
  const stream = await docker.pull(upstream);
  await follow(stream, upstream);
  const [repo, tag] = name.split(/:(?=[^/]+$)/);
  await docker.getImage(upstream).tag({ repo, tag });
}

async function dockerHubAnswers(): Promise<boolean> {
  try {
    const res = await Promise.race([
      docker.pull(UPSTREAM.registry).then((s) => follow(s, UPSTREAM.registry)).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
    ]);
    return res;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  await docker.ping().catch(() => {
    throw new Error('no Docker engine answers (is dockerd running? see README, prerequisites)');
  });
  const source = process.env.IMAGES_SOURCE ?? 'auto';
  if (!['auto', 'pull', 'build'].includes(source)) throw new Error(`IMAGES_SOURCE must be auto, pull or build, not "${source}"`);

  const haveAll = (await Promise.all([IMAGES.base, IMAGES.registry, IMAGES.busybox, IMAGES.golang].map(imageInfo))).every(Boolean);
  let pull = false;
  if (source === 'pull') pull = true;
  else if (source === 'auto' && !haveAll) {
    log('checking whether Docker Hub answers…');
    pull = await dockerHubAnswers();
    log(pull ? 'Docker Hub answers: pulling base images' : 'Docker Hub does not answer: building base images offline from Debian packages');
  }

  if (pull) {
    for (const key of ['base', 'registry', 'busybox', 'golang'] as const) {
      log(`${IMAGES[key]}: pulling ${UPSTREAM[key]}…`);
      await pullTagged(UPSTREAM[key], IMAGES[key]);
    }
  } else if (!(await imageInfo(IMAGES.base))) {
    const mirror = debianMirror();
    log(`${IMAGES.base}: debootstrap --variant=minbase trixie from ${mirror} (about 30 s)…`);
    await debootstrapBase(docker, IMAGES.base, mirror);
  } else {
    log(`${IMAGES.base}: present`);
  }
  const base = await imageInfo(IMAGES.base);
  if (!base) throw new Error(`${IMAGES.base} is missing after the base step`);

  if (!pull) {
    await buildRecipe(IMAGES.registry, 'registry', base.Id);
    await buildRecipe(IMAGES.busybox, 'busybox', base.Id);
    await buildRecipe(IMAGES.golang, 'golang', base.Id);
  }
  // The workstation's sandbox-term is compiled in the Go image: a new Go image, a new workstation.
  const golang = await imageInfo(IMAGES.golang);
  if (!golang) throw new Error(`${IMAGES.golang} is missing: the workstation is built with it`);
  await buildRecipe(IMAGES.workstation, 'workstation', base.Id, golang.Id);
  await buildMirror(docker, log, hashOf);
  log(`all images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(`[images] failed: ${(err as Error).message}`);
  process.exit(1);
});
