/** Webhook delivery (pg-boss based) is being built; this module's interface is fixed here. */
import type { ServerDeps } from '../context';

export interface WebhookDelivery {
  /** Call after a transaction that recorded events committed. */
  notify(): void;
  stop(): Promise<void>;
}

export async function startWebhookDelivery(_deps: ServerDeps): Promise<WebhookDelivery> {
  return { notify: () => undefined, stop: async () => undefined };
}
