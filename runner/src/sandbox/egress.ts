/**
 * The egress rules of a sandbox as data and as one iptables script, the same for both backends
 * (Docker runs it in a helper container in the workstation's namespace, Kubernetes in an init
 * container of the Pod): the policy, the ranges never reachable, the allowlist resolved once.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';

export type EgressPolicy = 'open' | 'allowlist' | 'none';

export interface EgressSettings {
  policy: EgressPolicy;
  /** allowlist: addresses, CIDRs or host names (resolved when a sandbox starts). */
  allow: string[];
}

/**
 * Never reachable from a sandbox, whatever the policy: the operator's private ranges, link-local
 * (cloud metadata), carrier-grade NAT, loopback of others, multicast and reserved space.
 */
export const ALWAYS_DENIED = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
];

export interface EgressTargets {
  /** The mirror's address on the session network: a neighbour a sandbox may talk to. */
  mirrorIp: string;
  /** The session registries' address (docker/registry-netns.ts) and ports: the other neighbour (none when they share this namespace). */
  registryIp?: string;
  registryPorts?: number[];
  /** Also refuse IPv6 with ip6tables (Kubernetes, where the Pod cannot set the sysctl that turns it off). */
  ip6tables?: boolean;
  /** The session network (its other members are the gateway = the host, or the runner's container). */
  subnet: string;
  /** Every address of the host the runner sees (its public address included). */
  hostAddresses: string[];
  /** Resolved allowlist (policy allowlist only). */
  allow: string[];
  /**
   * The host's DNS resolvers (policy open only): Docker's embedded DNS forwards other names to them
   * from inside the sandbox's namespace, and they are often at private addresses refused below.
   */
  resolvers?: string[];
}

/**
 * The IPv4 resolvers Docker's embedded DNS forwards to: the nameservers of the host's
 * resolv.conf, or systemd-resolved's upstream list when that names only a loopback stub.
 * Docker 25+ also lists them in the container's resolv.conf (`# ExtServers:`), 20.10 does not.
 */
export function hostResolvers(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const servers = (path: string) => {
    try {
      return [...read(path).matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((a) => isIP(a) === 4);
    } catch {
      return [];
    }
  };
  const outside = (list: string[]) => list.filter((a) => !a.startsWith('127.'));
  const own = servers('/etc/resolv.conf');
  const found = outside(own).length ? outside(own) : outside(servers('/run/systemd/resolve/resolv.conf'));
  return [...new Set(found)].slice(0, 8);
}

/** IPv4 addresses of this machine's interfaces (the host's own, when the runner runs on the host). */
export function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => Boolean(a) && a!.family === 'IPv4' && !a!.internal)
    .map((a) => a.address);
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

export interface ResolvedAllowlist {
  /** Every IPv4 address and CIDR the entries stand for (names resolved now). */
  addresses: string[];
  /**
   * `name:address` lines for the workstation's /etc/hosts: with DNS closed (EGRESS=allowlist), the
   * allowed names still resolve there, to what the runner resolved when the sandbox started.
   */
  hosts: string[];
}

/** EGRESS_ALLOW resolved once, for both the egress rules and /etc/hosts. */
export async function resolveAllowlistEntries(entries: string[]): Promise<ResolvedAllowlist> {
  const addresses: string[] = [];
  const hosts: string[] = [];
  for (const e of entries) {
    if (isIP(e.split('/')[0]!) === 4) addresses.push(e);
    else if (isIP(e) === 0) {
      const found = await lookup(e, { all: true, family: 4 }).catch(() => []);
      addresses.push(...found.map((f) => f.address));
      if (found[0] && HOST_NAME.test(e)) hosts.push(`${e}:${found[0].address}`);
    }
  }
  return { addresses, hosts };
}

export async function resolveAllowlist(entries: string[]): Promise<string[]> {
  return (await resolveAllowlistEntries(entries)).addresses;
}

/** Connections one sandbox may hold open to the shared mirror: a flood from one learner leaves room for the rest. */
export const MIRROR_CONNECTIONS_PER_SANDBOX = 32;

/** An IPv4 address or CIDR, or one of the script's own variables (Kubernetes: `$POD_IP/32`). */
const ADDRESS = /^((\d{1,3}\.){3}\d{1,3}|\$[A-Z_]+)(\/\d{1,2})?$/;

/**
 * iptables rules for the workstation's network namespace, through which the rootless engine's
 * slirp4netns sends everything the inner containers send. The learner holds no capability there,
 * so cannot change them. IPv6 is off in that namespace (docker/sandbox.ts sets the sysctl; Docker
 * refuses to start the workstation if it cannot).
 *
 * DNS: Docker's embedded resolver answers the sandbox's own names (`mirror`) itself; only
 * `open` lets it forward other names to the host's resolvers, so `none` and `allowlist` cannot
 * tunnel through DNS (allowlist entries are resolved by the runner when the sandbox starts).
 */
export function egressScript(policy: EgressPolicy, t: EgressTargets): string {
  const resolvers = policy === 'open' ? (t.resolvers ?? []) : [];
  const addresses = [t.mirrorIp, t.registryIp ?? '0.0.0.0', t.subnet, ...t.hostAddresses, ...ALWAYS_DENIED, ...t.allow, ...resolvers];
  const bad = addresses.find((a) => !ADDRESS.test(a));
  if (bad !== undefined) throw new Error(`egress: "${bad}" is not an IPv4 address or CIDR`);
  const ports = t.registryPorts ?? [];
  if (!ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) throw new Error('egress: bad registry port');
  // One iptables-restore for the whole chain: 25 iptables runs cost 145 ms of CPU on every cold
  // start, one restore 26 ms (issue 19). `:RL-EGRESS` makes the chain, or empties it when it exists.
  const rule = (r: string) => `echo '-A RL-EGRESS ${r}'`;
  const lines = [
    'set -e',
    'egress_rules() {',
    "echo '*filter'",
    "echo ':RL-EGRESS - [0:0]'",
    rule('-o lo -j ACCEPT'),
    rule('-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'),
    rule(`-d ${t.mirrorIp} -p tcp --dport 5000 -m connlimit --connlimit-above ${MIRROR_CONNECTIONS_PER_SANDBOX} --connlimit-mask 0 -j REJECT --reject-with tcp-reset`),
    rule(`-d ${t.mirrorIp} -p tcp --dport 5000 -j ACCEPT`),
  ];
  if (t.registryIp && ports.length) lines.push(rule(`-d ${t.registryIp} -p tcp -m multiport --dports ${ports.join(',')} -j ACCEPT`));
  if (policy === 'open') {
    lines.push(
      // The host's resolvers, as Docker's embedded DNS lists them for this container (digits and dots only).
      `for ns in $(sed -n 's/^# *ExtServers: *\\[\\(.*\\)\\]/\\1/p' /etc/resolv.conf | tr -d '[]' | sed 's/host(//g; s/)//g' | tr ', ' '\\n\\n'; awk '$1=="nameserver" && $2 !~ /^127\\./ {print $2}' /etc/resolv.conf); do`,
      '  case "$ns" in *[!0-9.]*) ;; *.*.*.*) echo "-A RL-EGRESS -d $ns -p udp --dport 53 -j ACCEPT"; echo "-A RL-EGRESS -d $ns -p tcp --dport 53 -j ACCEPT" ;; esac',
      'done',
      ...resolvers.flatMap((ns) => [rule(`-d ${ns} -p udp --dport 53 -j ACCEPT`), rule(`-d ${ns} -p tcp --dport 53 -j ACCEPT`)]),
    );
  }
  // Double quotes: Kubernetes passes $POD_IP and $HOST_IP (ADDRESS allows nothing else that expands).
  lines.push(...[t.subnet, ...t.hostAddresses, ...ALWAYS_DENIED].map((d) => `echo "-A RL-EGRESS -d ${d} -j REJECT --reject-with icmp-admin-prohibited"`));
  if (policy === 'allowlist') lines.push(...t.allow.map((a) => rule(`-d ${a} -j ACCEPT`)));
  if (policy !== 'open') lines.push(rule('-j REJECT --reject-with icmp-admin-prohibited'));
  lines.push("echo 'COMMIT'", '}');
  // The chain is whole before OUTPUT jumps to it; the jump is added once (a rerun finds it).
  lines.push('egress_rules | iptables-restore -w --noflush', 'iptables -w -C OUTPUT -j RL-EGRESS 2>/dev/null || iptables -w -I OUTPUT 1 -j RL-EGRESS');
  // No `|| true`: a namespace where the refusal cannot be set does not start.
  if (t.ip6tables) lines.push('ip6tables -A OUTPUT -o lo -j ACCEPT', 'ip6tables -P OUTPUT DROP');
  return lines.join('\n');
}
