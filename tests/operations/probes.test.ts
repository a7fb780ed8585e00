/**
 * GET /api/health/live and /api/health/ready as an orchestrator reads them: ready once the
 * store, the engine and the labs answer (503 naming what does not), not ready while stopping
 * while still live; both answer a probe that addresses the runner by IP with ALLOWED_HOSTS set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunner } from '../../runner/src/app.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { demoEngine } from './fake-engine.ts';

test('liveness and readiness', { timeout: 60_000 }, async () => {
  const provider = createFakeProvider();
  const runner = await createRunner(
    { port: 0, host: '127.0.0.1', runnerId: uniqueRunnerId('probes'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', allowedHosts: ['lab.example.org'] },
    { provider, labEngine: async () => demoEngine, store: (await import('../../runner/src/store/sqlite.ts')).openSqliteStore(':memory:').store },
  );
  try {
    const base = runner.url;
    // By IP although ALLOWED_HOSTS names only lab.example.org: probes and scrapers do that.
    assert.equal((await api(base, 'GET', '/api/health/live')).status, 200);
    const ready = await api(base, 'GET', '/api/health/ready');
    assert.equal(ready.status, 200, ready.text);
    assert.deepEqual(ready.json, { ready: true, checks: { store: true, engine: true, mirror: true, labs: true }, problems: [] });
    assert.equal((await api(base, 'GET', '/api/health')).status, 403, 'the rest keeps the Host rule');

    const sandboxes = provider.sandboxes;
    provider.sandboxes = async () => {
      throw new Error('connect ENOENT /var/run/docker.sock');
    };
    const down = await api(base, 'GET', '/api/health/ready');
    assert.equal(down.status, 503);
    assert.equal(down.json.checks.engine, false);
    assert.match(down.json.problems[0], /the sandbox engine: connect ENOENT/);
    provider.sandboxes = sandboxes;
    assert.equal((await api(base, 'GET', '/api/health/ready')).status, 200);

    const stopping = runner.stop();
    const during = await api(base, 'GET', '/api/health/ready').catch(() => null);
    if (during) assert.equal(during.status, 503);
    await stopping;
  } finally {
    await runner.close();
  }
});
