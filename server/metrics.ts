/**
 * Prometheus metrics (prom-client), one registry per process, served by GET /metrics
 * (server/http/operations.ts). Counters are this process's; the queue gauges are read from the
 * database at scrape time (pending deliveries only, through their partial index: cheap at any
 * table size), so they agree across every instance sharing it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'qualifybase_' });

export const httpRequests = new Counter({
  name: 'qualifybase_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'qualifybase_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const webhookAttempts = new Counter({
  name: 'qualifybase_webhook_attempts_total',
  help: 'Webhook delivery attempts made by this process, by outcome (2xx..5xx, refused, timeout, network_error; circuit_open: not sent, its destination held back)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const webhookDeliveriesFinished = new Counter({
  name: 'qualifybase_webhook_deliveries_finished_total',
  help: 'Webhook deliveries this process finished, by status (succeeded, failed: out of retries)',
  labelNames: ['status'] as const,
  registers: [registry],
});

/** This process's delivery state, read at scrape time (webhooks/pipeline.ts reports it). */
interface DeliveryState {
  inFlight: number;
  waiting: number;
  circuitsOpen: number;
}
let readDeliveryState: () => DeliveryState = () => ({ inFlight: 0, waiting: 0, circuitsOpen: 0 });
export function reportDeliveryState(read: () => DeliveryState): void {
  readDeliveryState = read;
}

export const webhookAttemptsInFlight = new Gauge({
  name: 'qualifybase_webhook_attempts_in_flight',
  help: 'Webhook delivery attempts this process has in flight',
  registers: [registry],
  collect() {
    this.set(readDeliveryState().inFlight);
  },
});

export const webhookDeliveriesWaiting = new Gauge({
  name: 'qualifybase_webhook_deliveries_waiting',
  help: 'Claimed webhook deliveries waiting in this process for a slot (bounded per clinic)',
  registers: [registry],
  collect() {
    this.set(readDeliveryState().waiting);
  },
});

export const webhookCircuitsOpen = new Gauge({
  name: 'qualifybase_webhook_circuits_open',
  help: 'Webhook destinations this process holds back after repeated failures (their circuit is open)',
  registers: [registry],
  collect() {
    this.set(readDeliveryState().circuitsOpen);
  },
});

export const queueDepth = new Gauge({
  name: 'qualifybase_webhook_queue_depth',
  help: 'Webhook deliveries waiting to be sent (pending)',
  registers: [registry],
});

export const oldestPendingAge = new Gauge({
  name: 'qualifybase_webhook_oldest_pending_age_seconds',
  help: 'Age of the oldest pending webhook delivery (0 when none is pending)',
  registers: [registry],
});

export const rateLimitRefusals = new Counter({
  name: 'qualifybase_rate_limit_refusals_total',
  help: 'Requests refused by a rate limit: api_key (120/min per key), clinic (the budget of all keys of a clinic), failed_auth (invalid keys per address), dashboard_login',
  labelNames: ['limiter'] as const,
  registers: [registry],
});
