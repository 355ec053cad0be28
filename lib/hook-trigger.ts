/**
 * The one factory behind every REST-hook trigger: subscribe with POST /webhooks, unsubscribe with
 * DELETE /webhooks/{id}, verify each delivery's Standard Webhooks signature, and return the
 * delivered object in the same shape performList returns (the object exactly as the API's GET
 * returns it).
 */
import { defineTrigger } from 'zapier-platform-core';
import type {
  Bundle,
  WebhookTriggerPerform,
  WebhookTriggerPerformList,
  WebhookTriggerPerformSubscribe,
  WebhookTriggerPerformUnsubscribe,
  ZObject,
} from 'zapier-platform-core';
import type { EventType, WebhookCreated } from '../contract/events';
import { eventDataKey } from '../contract/values';
import { apiList, apiRequest, segment } from './client';
import { SAMPLE_PAGE_SIZE } from './config';
import { isNotFound } from './errors';
import type { OutputField } from './output-fields';
import { SignatureError, verifyDelivery } from './signature';

export interface HookTriggerSpec<$Key extends string, $Item extends { id: string }> {
  key: $Key;
  event: EventType;
  noun: string;
  label: string;
  description: string;
  /** The output fields of the delivered object's contract schema (lib/output-fields.generated.ts). */
  outputFields: OutputField[];
  sample: $Item;
  /** GET path and query of the sample rows, newest first. */
  list: { path: string; params: Record<string, string> };
}

/** Hook triggers have no input fields. */
type NoInput = Record<string, never>;

/** What performSubscribe keeps for performUnsubscribe and perform (`bundle.subscribeData`). */
type SubscribeData = Partial<WebhookCreated> & { id: string };

function subscribeData(bundle: Bundle): SubscribeData | undefined {
  return bundle.subscribeData as SubscribeData | undefined;
}

/** Refuses a delivery without making the Zap error out (HaltedError never turns a Zap off). */
function refuse(z: ZObject, message: string): never {
  throw new z.errors.HaltedError(`QualifyBase webhook delivery refused: ${message}`);
}

export function verifiedPayload(z: ZObject, bundle: Bundle): unknown {
  const raw = bundle.rawRequest;
  if (!raw || typeof raw.content !== 'string') {
    refuse(z, 'the raw request is not available, so its signature cannot be verified.');
  }
  try {
    verifyDelivery({ secret: subscribeData(bundle)?.signingSecret, headers: raw.headers, body: raw.content });
  } catch (error) {
    if (error instanceof SignatureError) refuse(z, error.message);
    throw error;
  }
  try {
    return JSON.parse(raw.content);
  } catch {
    return refuse(z, 'the body is not JSON.');
  }
}

export function createHookTrigger<const $Key extends string, $Item extends { id: string }>(spec: HookTriggerSpec<$Key, $Item>) {
  const dataKey = eventDataKey(spec.event);

  const performSubscribe = (async (z, bundle) =>
    apiRequest<WebhookCreated>(z, {
      method: 'POST',
      path: '/webhooks',
      body: { url: bundle.targetUrl, events: [spec.event] },
    })) satisfies WebhookTriggerPerformSubscribe<NoInput, WebhookCreated>;

  const performUnsubscribe = (async (z, bundle) => {
    const id = subscribeData(bundle)?.id;
    if (!id) throw new z.errors.Error('This Zap has no QualifyBase webhook subscription to remove.', 'missing_subscription', 400);
    try {
      await apiRequest<null>(z, { method: 'DELETE', path: `/webhooks/${segment(id)}` });
    } catch (error) {
      // Already gone (removed after a 410, or the user reconnected with another API key, which
      // sees only its own subscriptions): the goal is reached, and turning a Zap off must never error.
      if (!isNotFound(error)) throw error;
    }
    return { id, unsubscribed: true };
  }) satisfies WebhookTriggerPerformUnsubscribe<NoInput, { id: string; unsubscribed: boolean }>;

  const perform = (async (z, bundle) => {
    const payload = verifiedPayload(z, bundle) as { type?: unknown; data?: Record<string, unknown> } | null;
    // Only the subscribed event; anything else (e.g. a future ping event) is not a new item.
    if (!payload || payload.type !== spec.event) return [];
    const item = payload.data?.[dataKey];
    if (!item || typeof item !== 'object') {
      refuse(z, `the ${spec.event} event carries no data.${dataKey} object.`);
    }
    return [item as $Item];
  }) satisfies WebhookTriggerPerform<NoInput, $Item>;

  const performList = (async (z, bundle) => {
    const limit = bundle.meta?.limit;
    const perPage = typeof limit === 'number' && limit > 0 ? Math.min(limit, 100) : SAMPLE_PAGE_SIZE;
    return apiList<$Item>(z, spec.list.path, { ...spec.list.params, per_page: perPage });
  }) satisfies WebhookTriggerPerformList<NoInput, $Item>;

  return defineTrigger({
    key: spec.key,
    noun: spec.noun,
    display: { label: spec.label, description: spec.description },
    operation: {
      type: 'hook',
      performSubscribe,
      performUnsubscribe,
      perform,
      performList,
      sample: spec.sample,
      outputFields: spec.outputFields,
    },
  });
}
