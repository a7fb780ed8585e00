/**
 * Chromium in a network namespace of its own, reaching one address of the host through a
 * Unix socket. On a Docker host, every sandbox network that comes or goes is an IP address
 * change to Chromium, which then closes its HTTP/2 connections with every request in flight
 * (net::ERR_NETWORK_CHANGED; Linux builds do not merely send GOAWAY). A learner's browser is
 * not on the Docker host; in its own namespace this one sees no such change either.
 *
 *   Chromium --TCP [::1]:port--> forwarder (in the namespace) --Unix socket--> this process --TCP--> target
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const FORWARDER = `
import { connect, createServer } from 'node:net';
const [port, sock] = process.argv.slice(2);
const parent = process.ppid;
createServer((c) => {
  const u = connect(sock);
  c.pipe(u).pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
}).listen(Number(port), '::1');
// Gone with Chromium (this process's parent): nothing is left behind.
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 200);
`;

export interface IsolatedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchIsolatedChromium(opts: { dir: string; port: number; target: { host: string; port: number }; env: NodeJS.ProcessEnv; args: string[] }): Promise<IsolatedBrowser> {
  const sock = join(opts.dir, 'chromium-net.sock');
  const forwarder = join(opts.dir, 'forwarder.mjs');
  const wrapper = join(opts.dir, 'chromium-isolated.sh');
  writeFileSync(forwarder, FORWARDER);
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec unshare -rn sh -c 'ip link set lo up && "$0" "$1" ${opts.port} "$2" & sleep 0.3; shift 2; exec "${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}" "$@"' "${process.execPath}" "${forwarder}" "${sock}" "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const sockets = new Set<Socket>();
  const bridge: Server = createServer((c) => {
    const t = connect(opts.target.port, opts.target.host);
    sockets.add(c).add(t);
    c.pipe(t).pipe(c);
    const end = () => {
      c.destroy();
      t.destroy();
      sockets.delete(c);
      sockets.delete(t);
    };
    c.on('error', end).on('close', end);
    t.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => bridge.listen(sock, r));
  const browser = await chromium.launch({ executablePath: wrapper, headless: true, timeout: 60_000, env: opts.env, args: opts.args });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      for (const s of sockets) s.destroy();
      await new Promise((r) => bridge.close(r));
    },
  };
}
