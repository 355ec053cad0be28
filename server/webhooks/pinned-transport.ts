/**
 * The webhook transport: an undici dispatcher whose connections go only to ports and addresses
 * the URL policy accepts. The host name is resolved once per connection, by `checkedLookup`, and the
 * socket connects to exactly the address that was checked; a DNS answer that changes between the
 * policy check and the connection (rebinding) cannot redirect the request. TLS keeps the host
 * name for SNI and certificate checks, and the Host header is the URL's.
 *
 * `createWebhookDispatcher` makes a keep-alive Agent (a connection is checked when it is opened,
 * so pooling is safe); transport.ts sends every delivery through one.
 */
import dnsPromises from 'node:dns/promises';
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import net from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { webhookAttempts } from '../metrics';
import { DEFAULT_ALLOWED_PORTS, isGlobalUnicast, portAllowed, portRefusal, PRIVATE_HINT, UrlPolicyError } from './url-policy';

/** Resolves a host name to every address it has (tests pass a fake one). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) => dnsPromises.lookup(host, { all: true, verbatim: true });

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Which addresses a connection may reach: only global unicast ones (the default), any
 * (QB_ALLOW_PRIVATE_WEBHOOKS=1 on an allowed port), or only loopback and private ones
 * (QB_ALLOW_PRIVATE_WEBHOOKS=1 on any other port).
 */
export type AddressRule = 'global' | 'any' | 'private';

function lookupRefusal(hostname: string, addresses: LookupAddress[], rule: AddressRule): UrlPolicyError | undefined {
  if (rule === 'global' && addresses.some((a) => !isGlobalUnicast(a.address))) {
    return new UrlPolicyError(`url host ${hostname} resolves to a private, loopback or reserved address${PRIVATE_HINT}`);
  }
  if (rule === 'private' && addresses.some((a) => isGlobalUnicast(a.address))) {
    return new UrlPolicyError(
      `url host ${hostname} resolves to a public address: its port is not one webhooks may use (QB_WEBHOOK_ALLOWED_PORTS)`,
    );
  }
  return undefined;
}

/**
 * A `lookup` for net/tls.connect that refuses the connection unless every address of the host
 * passes `rule` (by default what allowPrivate implies), and hands the socket only those checked
 * addresses.
 */
export function checkedLookup({
  allowPrivate,
  resolve = systemResolver,
  rule,
}: {
  allowPrivate: boolean;
  resolve?: Resolver;
  rule?: AddressRule;
}) {
  const applied: AddressRule = rule ?? (allowPrivate ? 'any' : 'global');
  return (hostname: string, options: LookupOneOptions & { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const refusal = addresses.length === 0 ? notFound(hostname) : lookupRefusal(hostname, addresses, applied);
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        const [first] = usable;
        if (refusal || !first) callback(refusal ?? notFound(hostname), '');
        else if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

const notFound = (hostname: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });

export interface WebhookDispatcherOptions extends Omit<Agent.Options, 'connect'> {
  allowPrivate: boolean;
  /** Ports connections may use (QB_WEBHOOK_ALLOWED_PORTS; 443 when absent). */
  allowedPorts?: readonly number[];
  resolve?: Resolver;
  /** TCP + TLS connect timeout. */
  connectTimeoutMs?: number;
}

/** The address rule of a connection to `port`, or a refusal when no address may be reached there. */
function ruleForPort(port: number, allowPrivate: boolean, allowedPorts: readonly number[]): AddressRule | UrlPolicyError {
  if (portAllowed(port, allowedPorts)) return allowPrivate ? 'any' : 'global';
  return allowPrivate ? 'private' : portRefusal(port, allowedPorts);
}

/**
 * An undici Agent that connects only to policy-checked ports and addresses (names and literals
 * alike): the checks of url-policy.ts, made again for every connection.
 */
export function createWebhookDispatcher({
  allowPrivate,
  allowedPorts = DEFAULT_ALLOWED_PORTS,
  resolve,
  connectTimeoutMs = 10_000,
  ...agentOptions
}: WebhookDispatcherOptions): Agent {
  const connectors = {} as Record<AddressRule, buildConnector.connector>;
  for (const rule of ['global', 'any', 'private'] as const) {
    connectors[rule] = buildConnector({ lookup: checkedLookup({ allowPrivate, resolve, rule }) as never, timeout: connectTimeoutMs });
  }
  return new Agent({
    ...agentOptions,
    connect: (options, callback) => {
      const port = options.port || (options.protocol === 'http:' ? '80' : '443');
      const rule = ruleForPort(Number(port), allowPrivate, allowedPorts);
      if (rule instanceof UrlPolicyError) return callback(rule, null);
      // An address literal never reaches lookup: check it here.
      const literal = options.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(literal) && rule !== 'any' && isGlobalUnicast(literal) !== (rule === 'global')) {
        const refusal =
          rule === 'global'
            ? new UrlPolicyError(`url points at a private, loopback or reserved address${PRIVATE_HINT}`)
            : portRefusal(Number(port), allowedPorts);
        return callback(refusal, null);
      }
      connectors[rule](options, callback);
    },
  });
}

/**
 * One webhook POST through a checked dispatcher, on undici's plain request API (no WHATWG
 * Request/Response or web streams: a fraction of fetch's CPU per request, which is what a fan-out
 * spends most of its time on). No redirect is followed; the response body is discarded. Counts
 * the attempt's outcome for /metrics.
 */
export async function webhookPost(
  url: string,
  init: { headers: Record<string, string>; body: string; signal?: AbortSignal },
  options: { dispatcher: Dispatcher },
): Promise<{ status: number; retryAfter: string | null }> {
  try {
    const target = new URL(url);
    const res = await options.dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers: init.headers,
      body: init.body,
      signal: init.signal,
    });
    // Read (up to undici's 128 KiB; a longer body closes the connection) and dropped, so that the
    // connection goes back to the pool; within the attempt's timeout.
    await res.body.dump({ limit: 128 * 1024, signal: init.signal }).catch(() => undefined);
    webhookAttempts.inc({ outcome: `${Math.floor(res.statusCode / 100)}xx` });
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null };
  } catch (error) {
    webhookAttempts.inc({
      outcome: policyRefusal(error) ? 'refused' : (error as Error).name === 'TimeoutError' ? 'timeout' : 'network_error',
    });
    throw error;
  }
}

function policyRefusal(error: unknown): UrlPolicyError | undefined {
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof UrlPolicyError) return e;
  }
  return undefined;
}

const NETWORK_ERRORS: Array<[RegExp, string]> = [
  [/^(ECONNREFUSED)$/, 'connection refused'],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, 'host name does not resolve'],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/, 'connection closed by the receiver'],
  [/^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT)$/, 'connection timed out'],
  [/^(EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN)$/, 'receiver unreachable'],
  [/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL/, 'TLS handshake failed'],
];

/**
 * The delivery log's words for a failed request: a category, never the address, port or error
 * text of whatever answered (the log must not map an internal network for its reader).
 */
export function describeTransportError(error: unknown, timeoutMs: number): string {
  const refusal = policyRefusal(error);
  if (refusal) return `refused: ${refusal.message}`;
  if ((error as Error).name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? '';
  const known = NETWORK_ERRORS.find(([pattern]) => pattern.test(code));
  return known ? known[1] : 'request failed';
}

/** The delivery log's words for a redirect: the target is not followed, and not repeated. */
export function describeRedirect(status: number): string {
  return `redirect (HTTP ${status}) not followed`;
}
