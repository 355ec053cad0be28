/**
 * The client's address, for throttles (which count it by `addressGroup`): the socket's peer, or with QB_TRUST_PROXY=1 the address
 * our own proxy saw (the last X-Forwarded-For entry; earlier ones are the client's own claims).
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import net from 'node:net';

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded && net.isIP(forwarded)) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The client's throttle group (below), from the socket or, behind a trusted proxy, X-Forwarded-For. */
export function throttledAddress(c: Context, config: { trustProxy: boolean; ipv6Prefix: number }): string {
  return addressGroup(clientAddress(c, config.trustProxy), config.ipv6Prefix);
}

/**
 * What a throttle counts a client as: an IPv4 address as it is, an IPv6 address by its first
 * `ipv6Prefix` bits (QB_IPV6_PREFIX, 64 by default: one /64 is one subscriber's network, and
 * holds more addresses than anyone could ever try), written `2001:db8:1:2::/64`. An IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 clients) is its IPv4.
 */
export function addressGroup(address: string, ipv6Prefix: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped && net.isIPv4(mapped)) return mapped;
  const bare = address.replace(/%.*$/, ''); // a zone (fe80::1%eth0) names an interface, not a network
  if (!net.isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  const kept = groups.map((group, i) => {
    const bitsLeft = Math.max(0, Math.min(16, ipv6Prefix - i * 16));
    return bitsLeft === 0 ? 0 : group & (0xffff << (16 - bitsLeft)) & 0xffff;
  });
  const significant = Math.ceil(ipv6Prefix / 16);
  const head = kept.slice(0, significant).map((g) => g.toString(16));
  return `${head.join(':')}${significant < 8 ? '::' : ''}/${ipv6Prefix}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 read as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const head = parse(left);
  const tail = right === undefined ? [] : parse(right);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** https at this server, or (QB_TRUST_PROXY=1) at the proxy in front of it. */
export function requestIsHttps(c: Context, trustProxy: boolean): boolean {
  if (c.req.url.startsWith('https:')) return true; // the URL's scheme, as the adapter wrote it (lower case)
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}
