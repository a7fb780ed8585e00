/** Runner + real Docker: two sessions cannot see each other's containers, registry or network. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runner } from '../../runner/src/app.ts';
import type { Term } from './helpers.ts';
import { dockerObjects, run, startRealRunner } from './real.ts';
import { twoReadyLearners } from '../security/ready.ts';

describe('session isolation (real Docker)', () => {
  let runner: Runner;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  let ta: Term;
  let tb: Term;

  before(async () => {
    runner = await startRealRunner();
    ({ a, b, ta, tb } = await twoReadyLearners(runner));
  });
  after(async () => {
    ta?.close();
    tb?.close();
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test("A does not see B's containers", async () => {
    const r = await run(tb, 'docker run -d --name b-secret busybox sleep 300 >/dev/null && docker ps --format "{{.Names}}"');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /b-secret/);
    const ra = await run(ta, 'docker ps -a --format "[{{.Names}}]"');
    assert.equal(ra.code, 0, ra.out);
    assert.doesNotMatch(ra.out, /\[b-secret\]/);
  });

  test("A's localhost:5000 is its own registry, not B's", async () => {
    const r = await run(tb, 'docker pull -q busybox >/dev/null && docker tag busybox localhost:5000/bsecret/img:1 && docker push -q localhost:5000/bsecret/img:1');
    assert.equal(r.code, 0, r.out);
    const ra = await run(ta, 'curl -sS http://localhost:5000/v2/_catalog');
    assert.equal(ra.code, 0, ra.out);
    assert.doesNotMatch(ra.out, /bsecret/);
    const bCatalog = await (await fetch(`${runner.provider.ops(b.id).registryUrl()}/v2/_catalog`)).json();
    assert.deepEqual(bCatalog, { repositories: ['bsecret/img'] });
  });

  test("A cannot reach B's workstation over the network", async () => {
    const bUrl = runner.provider.ops(b.id).registryUrl(); // http://<B workstation IP>:5000
    const ra = await run(ta, `curl -sS -m 5 -o /dev/null -w "%{http_code}" ${bUrl}/v2/`, 30_000);
    // The connection itself fails (curl 7), not an HTTP answer or a timeout of something listening.
    assert.equal(ra.code, 7, `A reached ${bUrl}: ${ra.out}`);
    assert.match(ra.out, /Failed to connect|No route to host|Couldn't connect/);
    // B itself reaches its registry at that address from the runner.
    assert.equal((await fetch(`${bUrl}/v2/`)).status, 200);
  });
});
