import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptOnlyOn, currentAddresses } from '../../runner/src/http/own-interfaces.ts';

it('knows the loopback address among its own', () => {
  assert.ok(currentAddresses().has('127.0.0.1'));
});

it('answers on allowed addresses and drops connections that arrive on others', async () => {
  for (const [allowed, expectAnswer] of [[new Set(['127.0.0.1']), true], [new Set(['10.255.255.1']), false]] as const) {
    const server = createServer((_req, res) => res.end('ok'));
    acceptOnlyOn(server, allowed);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const answered = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => null);
    assert.equal(answered === 'ok', expectAnswer);
    await new Promise((r) => server.close(r));
  }
});
