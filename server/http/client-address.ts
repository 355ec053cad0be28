/**
 * The client's address, for throttles: the socket's peer, or with QB_TRUST_PROXY=1 the address
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

/** https at this server, or (QB_TRUST_PROXY=1) at the proxy in front of it. */
export function requestIsHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}
