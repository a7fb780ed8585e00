/** The sandbox's egress rules as text: the host's resolvers under EGRESS=open, nothing of them otherwise. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { egressScript, hostResolvers, type EgressTargets } from '../../runner/src/sandbox/egress.ts';

const targets: EgressTargets = { mirrorIp: '10.213.0.2', subnet: '10.213.0.0/24', hostAddresses: ['192.0.2.2'], allow: [], resolvers: ['10.255.255.53'] };

it('EGRESS=open lets DNS reach the host resolvers before the private ranges are refused', () => {
  const lines = egressScript('open', targets).split('\n');
  const dns = lines.findIndex((l) => l === "echo '-A RL-EGRESS -d 10.255.255.53 -p udp --dport 53 -j ACCEPT'");
  const deny = lines.findIndex((l) => l === 'echo "-A RL-EGRESS -d 10.0.0.0/8 -j REJECT --reject-with icmp-admin-prohibited"');
  assert.ok(dns > 0 && deny > dns, 'the resolver rule comes before the refusal of 10.0.0.0/8');
  assert.ok(lines.includes("echo '-A RL-EGRESS -d 10.255.255.53 -p tcp --dport 53 -j ACCEPT'"));
  // One iptables-restore fills the chain, and OUTPUT jumps to it only once it is whole.
  const restore = lines.indexOf('egress_rules | iptables-restore -w --noflush');
  assert.ok(restore > deny && lines[restore + 1]!.includes('-I OUTPUT 1 -j RL-EGRESS'));
});

it('EGRESS=none and allowlist never open the resolvers (no DNS tunnel)', () => {
  for (const policy of ['none', 'allowlist'] as const) assert.doesNotMatch(egressScript(policy, targets), /10\.255\.255\.53/);
});

it('a resolver that is not an IPv4 address is refused, not spliced into the script', () => {
  assert.throws(() => egressScript('open', { ...targets, resolvers: ['1.1.1.1; reboot'] }), /not an IPv4/);
});

it('hostResolvers: resolv.conf servers, else systemd-resolved upstream when only a loopback stub is named', () => {
  const files = (m: Record<string, string>) => (p: string) => {
    if (!(p in m)) throw new Error('ENOENT');
    return m[p]!;
  };
  assert.deepEqual(hostResolvers(files({ '/etc/resolv.conf': 'nameserver 10.255.255.53\nnameserver ::1\nnameserver 10.255.255.53\n' })), ['10.255.255.53']);
  assert.deepEqual(hostResolvers(files({ '/etc/resolv.conf': 'nameserver 127.0.0.53\n', '/run/systemd/resolve/resolv.conf': '# x\nnameserver 192.168.1.1\n' })), ['192.168.1.1']);
  assert.deepEqual(hostResolvers(files({ '/etc/resolv.conf': 'nameserver 127.0.0.11\n' })), []);
  assert.deepEqual(hostResolvers(files({})), []);
});
