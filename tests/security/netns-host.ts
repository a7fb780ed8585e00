/**
 * A test host in a network namespace of the test's own (veth to the host), the only "other"
 * address the red-team suite sends traffic to. It answers HTTP on port 80 with its own name.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsHost {
  address: string;
  url: string;
  close(): void;
}

const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** `prefix` is a /30 network address, e.g. 10.250.77.0 (operator-private) or 203.0.113.0 (public-like). */
export async function startNetnsHost(prefix: string): Promise<NetnsHost> {
  const tag = randomBytes(3).toString('hex');
  const ns = `rl-rt-${tag}`;
  const [hostEnd, nsEnd] = [`rlh${tag}`, `rln${tag}`];
  const parts = prefix.split('.').map(Number);
  const ip = (n: number) => [...parts.slice(0, 3), parts[3]! + n].join('.');
  let server: ChildProcess | undefined;
  const close = () => {
    server?.kill('SIGKILL');
    try { sh(['ip', 'link', 'del', hostEnd]); } catch { /* gone with the namespace */ }
    try { sh(['ip', 'netns', 'del', ns]); } catch { /* already gone */ }
  };
  try {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
    sh(['ip', 'link', 'set', nsEnd, 'netns', ns]);
    sh(['ip', 'addr', 'add', `${ip(1)}/30`, 'dev', hostEnd]);
    sh(['ip', 'link', 'set', hostEnd, 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${ip(2)}/30`, 'dev', nsEnd]);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsEnd, 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', ip(1)]);
    const code = `require('http').createServer((q,s)=>s.end('netns-host-${tag}\\n')).listen(80,'${ip(2)}',()=>console.log('up'))`;
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', () => resolve());
      server!.once('exit', (c) => reject(new Error(`netns host exited ${c}`)));
      setTimeout(() => reject(new Error('netns host did not start')), 10_000);
    });
  } catch (err) {
    close();
    throw err;
  }
  return { address: ip(2), url: `http://${ip(2)}/`, close };
}
