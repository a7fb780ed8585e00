import { networkInterfaces } from 'node:os';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The addresses this process has now (IPv4-mapped IPv6 written as plain IPv4). */
export function currentAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

function plain(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/**
 * A runner inside a container joins every session network (to reach session registries) and,
 * listening on 0.0.0.0, would then answer sandboxes there too. This drops every connection that
 * arrives on an address the runner did not have before it joined them.
 */
export function acceptOnlyOn(server: Server, allowed: Set<string>): (socket: Socket) => boolean {
  const accepts = (socket: Socket) => allowed.has(plain(socket.localAddress));
  server.on('connection', (socket: Socket) => {
    if (!accepts(socket)) socket.destroy();
  });
  return accepts;
}
