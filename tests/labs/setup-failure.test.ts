/**
 * A lab whose setup.sh fails, through the runner with a real sandbox and the real engine:
 * POST .../start answers 500 lab_start_failed naming the failing command, a lab named at
 * session creation ends in labStatus "failed" with the reason, and the session stays usable.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { api, sleep, uniqueRunnerId } from '../runner/helpers.ts';
import { REPO_ROOT } from './harness.ts';

describe('a lab whose setup.sh fails (real sandbox)', { timeout: 600_000 }, () => {
  let runner: Runner;
  let labsDir: string;

  before(async () => {
    labsDir = mkdtempSync(join(tmpdir(), 'rl-broken-labs-'));
    const hello = join(REPO_ROOT, 'checks', 'example-lab', 'hello');
    cpSync(hello, join(labsDir, 'hello'), { recursive: true });
    // The copy's lab.ts is the example's own (its relative imports stay valid where it lives).
    writeFileSync(join(labsDir, 'hello', 'lab.ts'), `export { default } from '${join(hello, 'lab.ts')}';\n`);
    writeFileSync(join(labsDir, 'hello', 'setup.sh'), '#!/usr/bin/env bash\nset -euo pipefail\necho "preparing the greeting"\nfalse_command_that_breaks --now\n');
    runner = await createRunner({ port: 0, host: '127.0.0.1', runnerId: uniqueRunnerId('setupfail'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', labsDir });
  });
  after(async () => {
    await runner?.close();
    rmSync(labsDir, { recursive: true, force: true });
  });

  it('start answers 500 lab_start_failed naming the lab (the command goes to the log); a lab at creation ends "failed"; the session keeps working', async () => {
    const c = await api(runner.url, 'POST', '/api/sessions', { body: { lab: 'hello' } });
    assert.equal(c.status, 201, c.text);
    const { id, token } = c.json;
    let g = await api(runner.url, 'GET', `/api/sessions/${id}`, { token });
    for (let i = 0; i < 900 && ['pending', 'starting'].includes(g.json.labStatus); i++) {
      await sleep(200);
      g = await api(runner.url, 'GET', `/api/sessions/${id}`, { token });
    }
    assert.equal(g.json.state, 'ready', JSON.stringify(g.json));
    assert.equal(g.json.labStatus, 'failed', JSON.stringify(g.json));

    const s = await api(runner.url, 'POST', `/api/sessions/${id}/labs/hello/start`, { token });
    assert.equal(s.status, 500, s.text);
    assert.equal(s.json.error.code, 'lab_start_failed');
    // The learner gets a sentence naming the lab; the failing command and its output go to the runner's log.
    assert.match(s.json.error.message, /"hello"/);
    assert.doesNotMatch(s.json.error.message, /false_command_that_breaks|exited with code/);

    // The sandbox is fine: checking still grades (the file is missing), and the session can be deleted.
    const k = await api(runner.url, 'POST', `/api/sessions/${id}/labs/hello/check`, { token });
    assert.equal(k.status, 200, k.text);
    assert.equal(k.json.passed, false);
    assert.match(k.json.criteria[0].message, /Файла ~\/hello\.txt нет/);
    const d = await api(runner.url, 'DELETE', `/api/sessions/${id}`, { token });
    assert.equal(d.status, 204, d.text);
  });
});
