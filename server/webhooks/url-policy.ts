/**
 * Where webhooks may be sent. In production only public https endpoints: no private, loopback,
 * link-local, CGNAT, multicast or unspecified addresses, checked on the URL and on what its host
 * resolves to (again at delivery time, against DNS rebinding). Dev mode allows local receivers.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';

export class UrlPolicyError extends Error {}

const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function isBlockedV4(ip: string): boolean {
  const n = v4ToInt(ip);
  return BLOCKED_V4.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (n & mask) === (v4ToInt(base) & mask);
  });
}

function isBlockedV6(ip: string): boolean {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isBlockedV4(mapped[1]!);
  const blockList = new net.BlockList();
  blockList.addSubnet('::', 96, 'ipv6'); // unspecified, loopback and IPv4-compatible (::a.b.c.d)
  blockList.addSubnet('fc00::', 7, 'ipv6'); // unique local
  blockList.addSubnet('fe80::', 10, 'ipv6'); // link-local
  blockList.addSubnet('fec0::', 10, 'ipv6'); // deprecated site-local
  blockList.addSubnet('ff00::', 8, 'ipv6'); // multicast
  blockList.addSubnet('::ffff:0:0', 96, 'ipv6'); // other mapped forms
  blockList.addSubnet('64:ff9b::', 96, 'ipv6'); // NAT64 can reach private v4
  blockList.addSubnet('2001:db8::', 32, 'ipv6'); // documentation
  return blockList.check(lower, 'ipv6');
}

export function isBlockedAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return isBlockedV4(ip);
  if (family === 6) return isBlockedV6(ip);
  return true;
}

/** Throws UrlPolicyError with a message fit for the API user. */
export async function assertDeliverableUrl(raw: string, { allowPrivate }: { allowPrivate: boolean }): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlPolicyError('url is not a valid URL');
  }
  if (url.username || url.password) throw new UrlPolicyError('url must not contain credentials');
  if (allowPrivate) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlPolicyError('url must be http or https');
    return;
  }
  if (url.protocol !== 'https:') throw new UrlPolicyError('url must use https');
  // WHATWG URL parsing already normalises numeric hosts such as 2130706433 to 127.0.0.1.
  // A trailing dot (fully qualified form) names the same host: `localhost.` is localhost.
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (net.isIP(host)) {
    if (isBlockedAddress(host)) throw new UrlPolicyError('url points at a private, loopback or reserved address');
    return;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    throw new UrlPolicyError('url points at a local host name');
  }
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UrlPolicyError(`url host ${host} does not resolve`);
  }
  if (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address))) {
    throw new UrlPolicyError(`url host ${host} resolves to a private, loopback or reserved address`);
  }
}
