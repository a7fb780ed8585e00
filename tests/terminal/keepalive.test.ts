/**
 * The terminal keepalive must not drop a live client while its sandbox is still starting
 * (input, and so the pongs, are not read until the shell exists): seen on a loaded host
 * where a sandbox took over two ping intervals to start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunner } from '../../runner/src/app.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { api, openTerminal, uniqueRunnerId } from '../runner/helpers.ts';

test('a terminal waiting for a slow sandbox survives several ping intervals, then gets its shell', async () => {
  const provider = createFakeProvider({ createDelayMs: 1500 });
  const runner = await createRunner(
    { port: 0, runnerId: uniqueRunnerId('keepalive'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site' },
    { provider, terminalTuning: { pingIntervalMs: 200 } },
  );
  try {
    const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    const t = await openTerminal(runner.url, c.json.id, c.json.token);
    await t.waitEvent('status', 5_000);
    const ready = await t.waitEvent('ready', 10_000);
    assert.equal(typeof ready.expiresAt, 'string');
    t.send('echo alive\r');
    await t.waitFor('alive\r\n', 5_000);
    t.close();
  } finally {
    await runner.close();
  }
});
