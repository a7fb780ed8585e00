/**
 * The docker-compose deployment end to end, on the engine the tests use. Opt-in because it
 * is slow (it builds the runner image, which runs npm ci and the site build):
 *
 *   COMPOSE_TEST=1 node_modules/.bin/node --test tests/deploy/compose.test.ts
 *
 * 1. builds registry-lab/node:22-offline (images/runner/node22-offline.Dockerfile: Debian
 *    trixie + this checkout's Node 22 binary), unless COMPOSE_NODE_IMAGE names a base to use
 *    instead (e.g. node:22-trixie-slim where Docker Hub answers);
 * 2. builds registry-lab/runner:compose-test from images/runner/Dockerfile on it;
 * 3. starts it with docker-compose.yml itself (`docker-compose` or `docker compose`; plain
 *    `docker run` with the same settings when neither exists) under a unique container name,
 *    RUNNER_ID and port on 127.0.0.1;
 * 4. health, a session, a terminal that survives other sessions coming and going, the push-private lab (check fails, push, check passes: the
 *    runner in its container reaches the session registry), the multistage lab's `runs`
 *    criterion (a probed container), DELETE of the session;
 * 5. `docker stop` (SIGTERM): the runner exits 0 and keeps its sandboxes; `node scripts/reset.ts`
 *    then leaves nothing with its RUNNER_ID.
 * Its container and network are removed at the end; the images stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, openTerminal, sleep } from '../runner/helpers.ts';

const enabled = process.env.COMPOSE_TEST === '1';
const root = join(new URL('.', import.meta.url).pathname, '../..');
const STAND_IN = 'registry-lab/node:22-offline';
const RUNNER_IMAGE = 'registry-lab/runner:compose-test';
const name = `rl-compose-${process.pid}`;
const runnerId = `compose-${process.pid}`;

interface Run {
  code: number;
  out: string;
}

/** Runs a command; resolves with its exit code and the tail of stdout+stderr. */
function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; keep?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c: Buffer) => (out = (out + c.toString('utf8')).slice(-(opts.keep ?? 20_000)));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.stdin.end(opts.input ?? '');
  });
}

async function ok(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  const r = await sh(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}:\n${r.out.slice(-4000)}`);
  return r.out;
}

/** `docker-compose` (Debian's 1.29), else the `docker compose` plugin, else none. */
function composeCommand(): string[] | null {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Containers, networks and volumes carrying a label, as "kind name" lines. */
async function labelled(label: string): Promise<string[]> {
  const f = `label=${label}`;
  const [c, n, v] = await Promise.all([
    ok('docker', ['ps', '-a', '--filter', f, '--format', 'container {{.Names}}']),
    ok('docker', ['network', 'ls', '--filter', f, '--format', 'network {{.Name}}']),
    ok('docker', ['volume', 'ls', '--filter', f, '--format', 'volume {{.Name}}']),
  ]);
  return (c + n + v).split('\n').filter(Boolean);
}

async function networksOf(container: string): Promise<string[]> {
  const out = await ok('docker', ['inspect', container, '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}']);
  return out.trim().split(/\s+/).filter(Boolean);
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

test(
  'docker-compose deployment: runner in a container, sessions, labs, SIGTERM cleanup',
  { skip: enabled ? false : 'slow (builds the runner image: npm ci + site build); run with COMPOSE_TEST=1', timeout: 40 * 60_000 },
  async (t) => {
    const compose = composeCommand();
    const port = await freePort();
    const project = name;
    const env = { RUNNER_CONTAINER: name, RUNNER_ID: runnerId, RUNNER_PORT: String(port), RUNNER_IMAGE };
    const base = `http://127.0.0.1:${port}`;
    t.diagnostic(`container ${name}, RUNNER_ID ${runnerId}, ${base}, started with ${compose ? compose.join(' ') : 'docker run (no compose found)'}`);

    try {
      // 1. The Node 22 base image.
      let nodeImage = process.env.COMPOSE_NODE_IMAGE ?? '';
      if (!nodeImage) {
        const started = Date.now();
        const stage = mkdtempSync(join(tmpdir(), 'rl-node22-'));
        try {
          const nodeBin = join(root, 'node_modules/node/bin/node');
          copyFileSync(existsSync(nodeBin) ? nodeBin : process.execPath, join(stage, 'node'));
          // Behind a TLS-inspecting proxy npm needs its CA; the stand-in trusts what this host trusts.
          const ca = process.env.NODE_EXTRA_CA_CERTS;
          if (ca && existsSync(ca)) copyFileSync(ca, join(stage, 'extra-ca.pem'));
          await ok('docker', ['build', '-q', '-f', join(root, 'images/runner/node22-offline.Dockerfile'), '-t', STAND_IN, stage]);
        } finally {
          rmSync(stage, { recursive: true, force: true });
        }
        nodeImage = STAND_IN;
        t.diagnostic(`${STAND_IN} built in ${seconds(started)}`);
      }
      assert.match(await ok('docker', ['run', '--rm', nodeImage, 'node', '--version']), /^v22\./m);

      // 2. The runner image.
      let started = Date.now();
      await ok('docker', ['build', '-q', '-f', 'images/runner/Dockerfile', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', RUNNER_IMAGE, '.']);
      t.diagnostic(`${RUNNER_IMAGE} built in ${seconds(started)}`);

      // 3. Start it the way docker-compose.yml does.
      started = Date.now();
      if (compose) {
        await ok(compose[0], [...compose.slice(1), '-p', project, 'up', '-d', '--no-build'], { env });
      } else {
        await ok('docker', [
          'run', '-d', '--name', name,
          '-p', `127.0.0.1:${port}:4321`, '-v', '/var/run/docker.sock:/var/run/docker.sock',
          '-e', 'HOST=0.0.0.0', '-e', 'PORT=4321', '-e', `RUNNER_CONTAINER=${name}`, '-e', `RUNNER_ID=${runnerId}`,
          RUNNER_IMAGE,
        ]);
      }
      let health: any;
      for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(500)) {
        health = await api(base, 'GET', '/api/health').then((r) => r.json, () => undefined);
        if (health?.ok) break;
        const state = (await ok('docker', ['inspect', name, '--format', '{{.State.Status}}'])).trim();
        if (state !== 'running') assert.fail(`runner container is ${state}:\n${(await sh('docker', ['logs', '--tail', '60', name])).out}`);
      }
      assert.equal(health?.ok, true, 'GET /api/health answers');
      assert.equal(health.runnerId, runnerId);
      t.diagnostic(`runner answered /api/health ${seconds(started)} after start`);
      // The images already on the engine are reused: nothing is pulled, built or debootstrapped.
      const logs = (await sh('docker', ['logs', name], { keep: 10_000_000 })).out;
      assert.match(logs, /\[images\] registry-lab\/workstation:2: up to date/);
      assert.match(logs, /\[images\] registry-lab\/debian:trixie: present/);
      assert.doesNotMatch(logs, /\[images\].*(building|pulling|debootstrap|filling)/);
      const runnerNets = await networksOf(name);

      // 4. A session, its terminal and the labs.
      const s = await api(base, 'POST', '/api/sessions', { body: {} });
      assert.equal(s.status, 201, s.text);
      const { id, token } = s.json;
      for (const deadline = Date.now() + 180_000; ; await sleep(300)) {
        const g = await api(base, 'GET', `/api/sessions/${id}`, { token });
        if (g.json?.state === 'ready') break;
        assert.ok(Date.now() < deadline, `session not ready: ${g.text}`);
      }
      assert.ok((await networksOf(name)).includes(`rl-${id}-net`), 'the runner container joined the session network');
      // Joined to the session network, the runner must still not answer the sandbox there.
      const runnerIpThere = (await ok('docker', ['inspect', name, '--format', `{{(index .NetworkSettings.Networks "rl-${id}-net").IPAddress}}`])).trim();
      const fromSandbox = await sh('docker', ['exec', `rl-${id}-ws`, 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${runnerIpThere}:4321/api/health`]);
      assert.equal(fromSandbox.out.trim(), '000', `a sandbox reached the runner API at ${runnerIpThere}`);

      const term = await openTerminal(base, id, token);
      term.send('echo term-$((6*7))\r');
      await term.waitFor('term-42');

      // Sessions coming and going (the runner joins and leaves their networks) must not move
      // the published port: the open terminal keeps working and the runner's default route
      // stays on its own network (Docker 20.10 picks the network whose name sorts first).
      for (let i = 0; i < 3; i++) {
        const other = await api(base, 'POST', '/api/sessions', { body: {} });
        assert.equal(other.status, 201, other.text);
        for (const deadline = Date.now() + 180_000; ; await sleep(300)) {
          const g = await api(base, 'GET', `/api/sessions/${other.json.id}`, { token: other.json.token });
          if (g.json?.state === 'ready') break;
          assert.ok(Date.now() < deadline, `session not ready: ${g.text}`);
        }
        assert.equal((await api(base, 'DELETE', `/api/sessions/${other.json.id}`, { token: other.json.token })).status, 204);
      }
      term.send('echo still-$((6*7))\r');
      await term.waitFor('still-42', 10_000);
      const ownNet = runnerNets.find((n) => !n.startsWith('rl-'));
      const ownGateway = (await ok('docker', ['inspect', name, '--format', `{{(index .NetworkSettings.Networks "${ownNet}").Gateway}}`])).trim();
      const route = (await ok('docker', ['exec', name, 'cat', '/proc/net/route'])).split('\n').find((l) => l.split(/\s+/)[1] === '00000000');
      const hex = route?.split(/\s+/)[2] ?? '';
      const defaultGateway = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
      assert.equal(defaultGateway, ownGateway, `the runner's default route goes through ${ownNet}`);

      let r = await api(base, 'POST', `/api/sessions/${id}/labs/push-private/start`, { token });
      assert.equal(r.status, 200, r.text);
      r = await api(base, 'POST', `/api/sessions/${id}/labs/push-private/check`, { token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.passed, false, 'nothing pushed yet');
      term.send('docker tag my-api:v1 localhost:5000/my-api:v1 && docker push -q localhost:5000/my-api:v1 && echo pushed-$((1+1))\r');
      await term.waitFor('pushed-2', 120_000);
      r = await api(base, 'POST', `/api/sessions/${id}/labs/push-private/check`, { token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.passed, true, `push-private check after the push: ${r.text}`);
      term.close();

      // multistage: its `runs` criterion loads the pushed image into the host engine and
      // probes it on a network of its own, which the runner container joins and leaves.
      started = Date.now();
      r = await api(base, 'POST', `/api/sessions/${id}/labs/multistage/start`, { token });
      assert.equal(r.status, 200, r.text);
      const ws = `rl-${id}-ws`;
      await ok('docker', ['cp', join(root, 'labs/multistage/solve.sh'), `${ws}:/tmp/solve.sh`]);
      await ok('docker', ['exec', ws, 'su', '-', 'learner', '-c', 'bash /tmp/solve.sh']);
      r = await api(base, 'POST', `/api/sessions/${id}/labs/multistage/check`, { token });
      assert.equal(r.status, 200, r.text);
      const runs = r.json.criteria.find((c: { id: string }) => c.id === 'runs');
      assert.equal(runs?.passed, true, `multistage "runs": ${JSON.stringify(runs)}`);
      assert.equal(r.json.passed, true, r.text);
      assert.deepEqual((await labelled(`registry-lab.session=${id}`)).filter((o) => /probe/.test(o)), [], 'the probe is gone');
      t.diagnostic(`multistage start + solve + check: ${seconds(started)}`);

      r = await api(base, 'DELETE', `/api/sessions/${id}`, { token });
      assert.equal(r.status, 204, r.text);
      assert.deepEqual(await labelled(`registry-lab.session=${id}`), [], 'DELETE leaves nothing of the session');
      assert.ok(!(await networksOf(name)).some((n) => n.includes(id)), 'the runner left the session network');

      // 5. SIGTERM.
      assert.notDeepEqual(await labelled(`registry-lab.runner=${runnerId}`), [], 'the mirror and warm pool exist before the stop');
      started = Date.now();
      await ok('docker', ['stop', '-t', '90', name]);
      t.diagnostic(`docker stop took ${seconds(started)}`);
      assert.equal((await ok('docker', ['inspect', name, '--format', '{{.State.ExitCode}}'])).trim(), '0', 'the runner exits 0 on SIGTERM');
      // Sessions survive a stop (the mirror and pool stay too); removing everything is the reset command.
      assert.notDeepEqual(await labelled(`registry-lab.runner=${runnerId}`), [], 'a stop keeps what the runner made');
      await ok('docker', ['run', '--rm', '-v', '/var/run/docker.sock:/var/run/docker.sock', '-e', `RUNNER_ID=${runnerId}`, RUNNER_IMAGE, 'node', 'scripts/reset.ts']);
      assert.deepEqual(await labelled(`registry-lab.runner=${runnerId}`), [], 'nothing with the runner label is left after the reset');
      assert.deepEqual(await networksOf(name), runnerNets.filter((n) => !n.startsWith('rl-')), 'the runner container is on no session network');
    } finally {
      if (compose) await sh(compose[0], [...compose.slice(1), '-p', project, 'down', '-v', '-t', '90'], { env });
      await sh('docker', ['volume', 'rm', '-f', `registry-lab-data-${runnerId}`]);
      await sh('docker', ['rm', '-f', name]);
      // Whatever a failed run left with this test's own RUNNER_ID (never anyone else's).
      for (const o of await labelled(`registry-lab.runner=${runnerId}`)) {
        const [kind, obj] = o.split(' ');
        await sh('docker', kind === 'container' ? ['rm', '-f', '-v', obj] : [kind, 'rm', obj]);
      }
    }
  },
);
