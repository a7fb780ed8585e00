/**
 * The client a request counts against (per-client session limits, creation rate): the
 * connection's address, or, for a connection from a trusted reverse proxy (TRUSTED_PROXIES),
 * the last X-Forwarded-For entry that is not itself a trusted proxy.
 *
 * Read once, when the request starts: a socket that is gone by the time the handler runs has
 * no address any more.
 */
import { BlockList, isIP } from 'node:net';

export type ClientAddressRule = (peer: string | undefined, forwardedFor: string | string[] | undefined) => string;

function plain(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

export function proxyList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

export function clientAddressRule(trustedProxies: string[]): ClientAddressRule {
  const proxies = proxyList(trustedProxies);
  const trusted = (a: string) => {
    const family = isIP(a);
    return family !== 0 && proxies.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (peerRaw, forwardedFor) => {
    const peer = plain(peerRaw ?? '');
    if (!peer) return 'unknown';
    if (trustedProxies.length === 0 || !trusted(peer) || forwardedFor === undefined) return peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((s) => plain(s.trim()));
    let client = peer;
    // Right to left: each trusted hop vouches for the one before it.
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) break;
      client = hop;
      if (!trusted(hop)) break;
    }
    return client;
  };
}
