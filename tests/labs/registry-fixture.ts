/**
 * Test fixtures for the registry client: a throwaway registry container on the host engine
 * (labelled so it is ours alone) and a tiny pusher that uploads synthetic images through the
 * distribution API (no docker CLI needed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Digest, MEDIA_TYPES } from '../../checks/registry-client.ts';

function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

export function registryImage(): string {
  for (const name of [process.env.REGISTRY_IMAGE, 'registry-lab/registry:2', 'registry-lab/registry:manual']) {
    if (!name) continue;
    try {
      docker(['image', 'inspect', '--format', '{{.Id}}', name]);
      return name;
    } catch {
      /* next */
    }
  }
  throw new Error('no registry image: build registry-lab/registry:2 first (npm run images)');
}

export interface TestRegistry {
  url: string;
  id: string;
  stop(): void;
}

/** Starts a registry:2 on 127.0.0.1:<random port>; with `htpasswd`, Basic auth is required. */
export async function startTestRegistry(opts: { htpasswd?: string; label: string }): Promise<TestRegistry> {
  const args = ['create', '--rm', '--label', `registry-lab.test=${opts.label}`, '-p', '127.0.0.1::5000'];
  if (opts.htpasswd) {
    args.push('-e', 'REGISTRY_AUTH=htpasswd', '-e', 'REGISTRY_AUTH_HTPASSWD_REALM=test', '-e', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd');
  }
  const id = docker([...args, registryImage()]);
  if (opts.htpasswd) {
    const dir = mkdtempSync(join(tmpdir(), 'rl-htpasswd-'));
    try {
      writeFileSync(join(dir, 'htpasswd'), opts.htpasswd + '\n');
      docker(['cp', dir + '/.', `${id}:/auth`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  docker(['start', id]);
  const port = docker(['port', id, '5000/tcp']).split('\n')[0].split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      docker(['rm', '-f', '-v', id]);
    } catch {
      /* gone */
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(url + '/v2/', { signal: AbortSignal.timeout(1000) });
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`test registry ${id} did not answer at ${url}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, id, stop };
}

function authHeaders(auth?: { username: string; password: string }): Record<string, string> {
  return auth ? { authorization: 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } : {};
}

export async function pushBlob(url: string, repo: string, data: Buffer, auth?: { username: string; password: string }): Promise<string> {
  const digest = sha256Digest(data);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: authHeaders(auth) });
  if (start.status !== 202) throw new Error(`upload start ${start.status}: ${await start.text()}`);
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: new Uint8Array(data), headers: { 'content-type': 'application/octet-stream', ...authHeaders(auth) } });
  if (put.status !== 201) throw new Error(`upload put ${put.status}: ${await put.text()}`);
  return digest;
}

export async function pushManifest(url: string, repo: string, ref: string, manifest: object, mediaType: string, auth?: { username: string; password: string }): Promise<string> {
  const raw = Buffer.from(JSON.stringify(manifest));
  const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: new Uint8Array(raw), headers: { 'content-type': mediaType, ...authHeaders(auth) } });
  if (res.status !== 201) throw new Error(`manifest put ${res.status}: ${await res.text()}`);
  return sha256Digest(raw);
}

/** Pushes a synthetic single-layer image; returns its manifest and config digests. */
export async function pushTestImage(url: string, repo: string, tag: string, opts: { marker?: string; oci?: boolean; auth?: { username: string; password: string } } = {}) {
  const layer = Buffer.from(`layer ${opts.marker ?? tag} ${Math.random()}`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { marker: opts.marker ?? tag } }, rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] } }));
  const layerDigest = await pushBlob(url, repo, layer, opts.auth);
  const configDigest = await pushBlob(url, repo, config, opts.auth);
  const mediaType = opts.oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: opts.oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: opts.oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  };
  const digest = await pushManifest(url, repo, tag, manifest, mediaType, opts.auth);
  return { digest, configDigest, size: layer.length, manifest };
}
