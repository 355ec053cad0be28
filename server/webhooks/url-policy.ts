/**
 * Where webhooks may be sent. By default only public https endpoints on port 443 (other ports only
 * when the operator lists them, QB_WEBHOOK_ALLOWED_PORTS): every address must be global unicast
 * (an allowlist, not a list of exceptions), checked on the URL and on what its host resolves to;
 * at delivery time the transport (pinned-transport.ts) checks the port and resolves once more, and
 * connects only to the address it checked, against DNS rebinding.
 * QB_ALLOW_PRIVATE_WEBHOOKS=1 (loopback listeners only, never in production) allows local
 * receivers, on any port of a loopback or private address.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';

export class UrlPolicyError extends Error {}

/** Every refusal names the switch that lifts it, for the developer running a local receiver. */
export const PRIVATE_HINT = ' (local receivers need QB_ALLOW_PRIVATE_WEBHOOKS=1 on a server listening on a loopback address)';

/**
 * IPv4 ranges that are not globally reachable (IANA special-purpose registry): "this network",
 * private, CGNAT, loopback, link-local, IETF protocol assignments, documentation, 6to4 relay
 * anycast, benchmarking, multicast, reserved and broadcast.
 */
const SPECIAL_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
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

function inV4Range(n: number, [base, bits]: [string, number]): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (n & mask) === (v4ToInt(base) & mask);
}

function isGlobalV4(ip: string): boolean {
  const n = v4ToInt(ip);
  return !SPECIAL_V4.some((range) => inV4Range(n, range));
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tails included). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const n = v4ToInt(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}

/**
 * Inside global unicast 2000::/3, still not a public host: IETF protocol assignments (Teredo,
 * benchmarking, ORCHID), documentation (2001:db8::/32, 3fff::/20) and 6to4 (2002::/16, which
 * wraps any IPv4 address, private ones included).
 */
const SPECIAL_V6: Array<[number[], number]> = [
  [[0x2001, 0x0000], 23],
  [[0x2001, 0x0db8], 32],
  [[0x2002], 16],
  [[0x3fff], 20],
];

function inV6Range(groups: number[], [prefix, bits]: [number[], number]): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const take = Math.min(16, bits - i * 16);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function isGlobalV6(ip: string): boolean {
  const g = v6Groups(ip);
  if (g.length !== 8 || g.some((x) => !(x >= 0 && x <= 0xffff))) return false;
  // IPv4-mapped (::ffff:a.b.c.d): the socket reaches the IPv4 address, so judge that one.
  const [first = 0, , , , , mapped, high = 0, low = 0] = g;
  if (g.slice(0, 5).every((x) => x === 0) && mapped === 0xffff) {
    return isGlobalV4(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  // Only 2000::/3 is global unicast: this leaves out ::/8 (unspecified, loopback, IPv4-compatible,
  // SIIT ::ffff:0:0:0/96), NAT64 64:ff9b::/96 and 64:ff9b:1::/48, discard-only 100::/64,
  // unique local fc00::/7, link-local fe80::/10, site-local and multicast ff00::/8.
  if ((first & 0xe000) !== 0x2000) return false;
  return !SPECIAL_V6.some((range) => inV6Range(g, range));
}

/** True only for a global unicast address: one that a public host on the internet can have. */
export function isGlobalUnicast(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return isGlobalV4(ip);
  if (family === 6) return isGlobalV6(ip);
  return false;
}

/** Anything that is not global unicast (kept for callers that ask the question the other way). */
export function isBlockedAddress(ip: string): boolean {
  return !isGlobalUnicast(ip);
}

/** What a destination may be: private receivers allowed or not, and the ports public ones may use. */
export interface UrlPolicy {
  allowPrivate: boolean;
  /** Ports every destination may use (QB_WEBHOOK_ALLOWED_PORTS); 443 when absent. */
  allowedPorts?: readonly number[];
}

export const DEFAULT_ALLOWED_PORTS: readonly number[] = [443];

/** The TCP port a URL connects to: its explicit port, or its scheme's default. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
}

export function portAllowed(port: number, allowedPorts: readonly number[] = DEFAULT_ALLOWED_PORTS): boolean {
  return allowedPorts.includes(port);
}

/** The refusal of a port, naming the ones allowed and the setting that allows more. */
export function portRefusal(port: number, allowedPorts: readonly number[] = DEFAULT_ALLOWED_PORTS): UrlPolicyError {
  return new UrlPolicyError(
    `url port ${port} is not allowed: use port ${allowedPorts.join(' or ')} (QB_WEBHOOK_ALLOWED_PORTS on the server lists the ports webhooks may use)`,
  );
}

/** The host of a URL as a bare name or address: no IPv6 brackets, no trailing dot (`localhost.` is localhost). */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

const isLocalName = (host: string) =>
  host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');

async function resolveAll(host: string): Promise<Array<{ address: string }>> {
  try {
    return await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UrlPolicyError(`url host ${host} does not resolve`);
  }
}

/** QB_ALLOW_PRIVATE_WEBHOOKS=1: any port, but only on a loopback or private receiver. */
async function assertPrivateReceiver(url: URL, port: number, allowedPorts: readonly number[]): Promise<void> {
  const host = bareHost(url);
  if (net.isIP(host) ? isBlockedAddress(host) : isLocalName(host)) return;
  if (!net.isIP(host)) {
    const addresses = await resolveAll(host);
    if (addresses.length > 0 && addresses.every((a) => isBlockedAddress(a.address))) return;
  }
  throw portRefusal(port, allowedPorts);
}

/** Throws UrlPolicyError with a message fit for the API user. */
export async function assertDeliverableUrl(raw: string, { allowPrivate, allowedPorts = DEFAULT_ALLOWED_PORTS }: UrlPolicy): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlPolicyError('url is not a valid URL');
  }
  if (url.username || url.password) throw new UrlPolicyError('url must not contain credentials');
  const port = portOf(url);
  if (allowPrivate) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlPolicyError('url must be http or https');
    if (!portAllowed(port, allowedPorts)) await assertPrivateReceiver(url, port, allowedPorts);
    return;
  }
  if (url.protocol !== 'https:') throw new UrlPolicyError(`url must use https${PRIVATE_HINT}`);
  // WHATWG URL parsing already normalises numeric hosts such as 2130706433 to 127.0.0.1.
  const host = bareHost(url);
  if (net.isIP(host) && isBlockedAddress(host)) {
    throw new UrlPolicyError(`url points at a private, loopback or reserved address${PRIVATE_HINT}`);
  }
  if (isLocalName(host)) throw new UrlPolicyError(`url points at a local host name${PRIVATE_HINT}`);
  if (!portAllowed(port, allowedPorts)) throw portRefusal(port, allowedPorts);
  if (net.isIP(host)) return;
  const addresses = await resolveAll(host);
  if (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address))) {
    throw new UrlPolicyError(`url host ${host} resolves to a private, loopback or reserved address${PRIVATE_HINT}`);
  }
}
