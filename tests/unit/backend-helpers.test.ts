/**
 * The helpers both sandbox backends share: the HTTP polling of an image probe (against a real
 * HTTP server on loopback), idempotent lookups, and the per-session ops cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { containerEnded, pollHttp } from '../../runner/src/sandbox/http-poll.ts';
import { ignoreMissingWhen, ignoringMissing } from '../../runner/src/sandbox/ignore-missing.ts';
import { PerSessionCache } from '../../runner/src/sandbox/per-session-cache.ts';
import { ENGINE_MESSAGES, render } from '../../checks/messages.ts';

async function serve(status: number, body: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(status).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

const running = async () => undefined;

test('pollHttp: a 200 is ok with its body, another status is not ok but answered', async () => {
  for (const [status, ok] of [[200, true], [500, false]] as const) {
    const { server, port } = await serve(status, 'hello');
    try {
      const r = await pollHttp(`http://127.0.0.1:${port}/healthz`, { port, path: '/healthz', timeoutMs: 5_000 }, { user: 'nobody', everyMs: 50, ended: running });
      assert.deepEqual(r, { ok, status, body: 'hello', user: 'nobody' });
    } finally {
      server.close();
    }
  }
});

test('pollHttp: nothing listening gives the Russian "no answer" message with path, port and seconds', async () => {
  const { server, port } = await serve(200, '');
  await new Promise((r) => server.close(r));
  let checks = 0;
  const r = await pollHttp(`http://127.0.0.1:${port}/healthz`, { port, path: '/healthz', timeoutMs: 1_500 }, {
    user: '',
    everyMs: 100,
    ended: async () => void checks++,
  });
  assert.equal(r.ok, false);
  assert.match(render(r.error ?? '', 'ru', [ENGINE_MESSAGES]), new RegExp(`^нет ответа на /healthz, порт ${port}, за 2 с \\(.+\\)$`));
  assert.match(render(r.error ?? '', 'en', [ENGINE_MESSAGES]), new RegExp(`^no answer on /healthz, port ${port}, within 2 s \\(.+\\)$`));
  assert.ok(checks >= 2, 'the container is looked at before every attempt');
});

test('pollHttp: a container that ended is reported as it says, without a request', async () => {
  const ended = containerEnded(3, '\u0001\u0000\u0000boom: нет файла\n', 'app');
  const r = await pollHttp('http://127.0.0.1:9/never', { port: 9, path: '/never', timeoutMs: 5_000 }, { user: 'app', everyMs: 50, ended: async () => ended });
  assert.equal(r.ok, false);
  assert.equal(r.user, 'app');
  assert.equal(render(r.error ?? '', 'ru', [ENGINE_MESSAGES]), 'контейнер завершился с кодом 3: boom: нет файла');
  assert.equal(render(r.error ?? '', 'en', [ENGINE_MESSAGES]), 'the container exited with code 3: boom: нет файла');
  assert.equal(render(containerEnded(0, '  \n', '').error ?? '', 'ru', [ENGINE_MESSAGES]), 'контейнер завершился с кодом 0');
});

test('ignoreMissing: the value, undefined when missing, other errors thrown', async () => {
  const is404 = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;
  assert.equal(await ignoreMissingWhen(is404, Promise.resolve(7)), 7);
  assert.equal(await ignoreMissingWhen(is404, Promise.reject(Object.assign(new Error('gone'), { statusCode: 404 }))), undefined);
  const ignoreMissing = ignoringMissing(is404);
  await assert.rejects(ignoreMissing(Promise.reject(Object.assign(new Error('conflict'), { statusCode: 409 }))), /conflict/);
});

test('PerSessionCache: made once per id, made again after delete or clear, nothing kept when making throws', () => {
  const made: string[] = [];
  const cache = new PerSessionCache((id) => {
    if (id === 'bad') throw new Error('unknown sandbox bad');
    made.push(id);
    return { id };
  });
  const a = cache.get('a');
  assert.equal(cache.get('a'), a);
  assert.throws(() => cache.get('bad'), /unknown sandbox/);
  cache.delete('a');
  assert.notEqual(cache.get('a'), a);
  cache.clear();
  cache.get('a');
  assert.deepEqual(made, ['a', 'a', 'a']);
});
