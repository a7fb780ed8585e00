/** Standby shells (runner/src/core/standby-shells.ts): opened for pool sandboxes, handed to the first terminal. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { standbyShells } from '../../runner/src/core/standby-shells.ts';
import { silentLogger } from '../../runner/src/core/log.ts';
import type { SandboxProvider, ShellHandle } from '../../runner/src/sandbox/provider.ts';

function fakeProvider() {
  const opened: { id: string; size: { cols: number; rows: number }; handle: ShellHandle; closed: boolean; resized: [number, number][]; end: (code: number) => void }[] = [];
  const destroyed: string[] = [];
  const provider = {
    async create(id: string) {
      return { id, workstationIp: '', createdAt: new Date() };
    },
    async openShell(id: string, size: { cols: number; rows: number }) {
      let end!: (code: number) => void;
      const exited = new Promise<number>((r) => (end = r));
      const row = { id, size, closed: false, resized: [] as [number, number][], end, handle: null as unknown as ShellHandle };
      row.handle = {
        stream: new PassThrough(),
        exited,
        resize: async (c: number, r: number) => void row.resized.push([c, r]),
        close: async () => {
          row.closed = true;
        },
      };
      opened.push(row);
      return row.handle;
    },
    async destroy(id: string) {
      destroyed.push(id);
    },
    async shutdown() {},
  } as unknown as SandboxProvider;
  return { provider, opened, destroyed };
}

const tick = () => new Promise((r) => setImmediate(r));

it('a pool sandbox gets a shell ahead; the first terminal takes it, at its own size; the next opens its own', async () => {
  const f = fakeProvider();
  const p = standbyShells(f.provider, silentLogger);
  await p.create('s1', { pool: true });
  await tick();
  assert.equal(f.opened.length, 1, 'opened ahead');
  const first = await p.openShell('s1', { cols: 120, rows: 40 });
  assert.equal(first, f.opened[0]!.handle, 'the standby shell');
  assert.deepEqual(f.opened[0]!.resized, [[120, 40]]);
  const second = await p.openShell('s1', { cols: 80, rows: 24 });
  assert.notEqual(second, first);
  assert.equal(f.opened.length, 2);
});

it('no standby for a cold start of a session; a standby that ended is replaced', async () => {
  const f = fakeProvider();
  const p = standbyShells(f.provider, silentLogger);
  await p.create('cold');
  await tick();
  assert.equal(f.opened.length, 0);
  await p.create('s2', { pool: true });
  await tick();
  f.opened[0]!.end(0);
  await tick();
  const h = await p.openShell('s2', { cols: 80, rows: 24 });
  assert.equal(h, f.opened[1]!.handle, 'a fresh shell');
  assert.equal(f.opened[0]!.closed, true);
});

it('a pool sandbox destroyed unclaimed closes its standby shell', async () => {
  const f = fakeProvider();
  const p = standbyShells(f.provider, silentLogger);
  await p.create('s3', { pool: true });
  await tick();
  await p.destroy('s3');
  await tick();
  assert.equal(f.opened[0]!.closed, true);
  assert.deepEqual(f.destroyed, ['s3']);
});

it('an error on a standby shell nobody reads yet is heard (no uncaught exception)', async () => {
  const f = fakeProvider();
  const p = standbyShells(f.provider, silentLogger);
  await p.create('s4', { pool: true });
  await tick();
  await tick();
  f.opened[0]!.handle.stream.destroy(new Error('The operation was aborted'));
  await tick();
  await p.destroy('s4');
  assert.deepEqual(f.destroyed, ['s4']);
});
