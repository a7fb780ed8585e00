/**
 * A test host in a network namespace of the test's own (veth to the host), the only "other"
 * address the red-team suite sends traffic to. It answers HTTP on port 80 with its own name and,
 * with `{ dns: true }`, DNS over UDP on port 53: every name asked is recorded (dnsQueries) and
 * answered with one A record (192.0.2.53), so a query that arrives is seen and one that does not
 * is known not to have left.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsHost {
  address: string;
  url: string;
  /** The names asked of its resolver so far ({ dns: true }). */
  dnsQueries(): string[];
  close(): void;
}

// A DNS answer: the query's header and question, QR/AA/RA set, one A record pointing at the question.
const DNS_SERVER = `const d=require('dgram').createSocket('udp4');
d.on('message',(q,r)=>{try{let i=12,n=[];while(q[i]&&n.length<40){n.push(q.toString('latin1',i+1,i+1+q[i]));i+=q[i]+1}
console.log('dns '+JSON.stringify(n.join('.')));const a=Buffer.from([0xc0,12,0,1,0,1,0,0,0,60,0,4,192,0,2,53]);
const h=Buffer.from(q.subarray(0,i+5));h[2]=0x85;h[3]=0x80;h.writeUInt16BE(1,6);h.writeUInt16BE(0,8);h.writeUInt16BE(0,10);
d.send(Buffer.concat([h,a]),r.port,r.address)}catch{}});`;

const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** `prefix` is a /30 network address, e.g. 10.250.77.0 (operator-private) or 203.0.113.0 (public-like). */
export async function startNetnsHost(prefix: string, opts: { dns?: boolean } = {}): Promise<NetnsHost> {
  const tag = randomBytes(3).toString('hex');
  const ns = `rl-rt-${tag}`;
  const [hostEnd, nsEnd] = [`rlh${tag}`, `rln${tag}`];
  const parts = prefix.split('.').map(Number);
  const ip = (n: number) => [...parts.slice(0, 3), parts[3]! + n].join('.');
  let server: ChildProcess | undefined;
  const queries: string[] = [];
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
    const dns = opts.dns ? `${DNS_SERVER}d.bind(53,'${ip(2)}',()=>` : '(';
    const code = `${dns}require('http').createServer((q,s)=>s.end('netns-host-${tag}\\n')).listen(80,'${ip(2)}',()=>console.log('up')))`;
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          if (line === 'up') resolve();
          else if (line.startsWith('dns ')) queries.push(JSON.parse(line.slice(4)) as string);
        }
      });
      server!.once('exit', (c) => reject(new Error(`netns host exited ${c}`)));
      setTimeout(() => reject(new Error('netns host did not start')), 10_000);
    });
  } catch (err) {
    close();
    throw err;
  }
  return { address: ip(2), url: `http://${ip(2)}/`, dnsQueries: () => [...queries], close };
}
