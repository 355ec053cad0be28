/**
 * The one factory behind every REST-hook trigger: subscribe with POST /webhooks, unsubscribe with
 * DELETE /webhooks/{id}, verify each delivery's Standard Webhooks signature, and return the
 * delivered object in the same shape performList returns (the object exactly as the API's GET
 * returns it; update triggers add what changed, lib/changes.ts). A refused delivery is logged
 * with its reason code (`zapier-platform logs` shows it) before the HaltedError.
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
import { type ChangeSpec, onlyWhenField, passesFilter, previousAttributesOf, withChanges } from './changes';
import { SAMPLE_PAGE_SIZE } from './config';
import { isNotFound, isUnauthorized } from './errors';
import type { OutputField } from './output-fields';
import { readDeliveryHeaders, SignatureError, type SignatureRefusal, verifyDelivery } from './signature';

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
  /** Update triggers: what changed reaches the Zap, and the "Only When" filter (lib/changes.ts). */
  changes?: ChangeSpec;
}

/** An update trigger's only input is its "Only When" filter; other hook triggers have none. */
type HookInput = { only_when?: string };

/** What performSubscribe keeps for performUnsubscribe and perform (`bundle.subscribeData`). */
type SubscribeData = Partial<WebhookCreated> & { id: string };

function subscribeData(bundle: Bundle): SubscribeData | undefined {
  return bundle.subscribeData as SubscribeData | undefined;
}

/** Why a delivery was refused: a signature check's code, or what else was wrong with it. */
export type RefusalReason = SignatureRefusal | 'no_raw_request' | 'body_not_json' | 'no_data_object';

/**
 * Refuses a delivery without making the Zap error out (HaltedError never turns a Zap off), after
 * logging why: the reason code, the delivery id (from its headers) and the subscription id; never
 * the secret or the body.
 */
function refuse(z: ZObject, bundle: Bundle, reason: RefusalReason, message: string): never {
  const headers = bundle.rawRequest?.headers;
  const { id } = readDeliveryHeaders(headers);
  z.console.log(
    `QualifyBase webhook delivery refused: ${reason} (delivery ${id ?? 'without id'}, subscription ${subscribeData(bundle)?.id ?? 'unknown'})`,
  );
  throw new z.errors.HaltedError(`QualifyBase webhook delivery refused: ${message}`);
}

export function verifiedPayload(z: ZObject, bundle: Bundle): unknown {
  const raw = bundle.rawRequest;
  if (!raw || typeof raw.content !== 'string') {
    refuse(z, bundle, 'no_raw_request', 'the raw request is not available, so its signature cannot be verified.');
  }
  try {
    verifyDelivery({ secret: subscribeData(bundle)?.signingSecret, headers: raw.headers, body: raw.content });
  } catch (error) {
    if (error instanceof SignatureError) refuse(z, bundle, error.reason, error.message);
    throw error;
  }
  try {
    return JSON.parse(raw.content);
  } catch {
    return refuse(z, bundle, 'body_not_json', 'the body is not JSON.');
  }
}

/**
 * The delivered object as the Zap sees it: as delivered, or for an update trigger with what
 * changed; [] when the trigger's "Only When" filter leaves the delivery out.
 */
function deliveredItems(z: ZObject, bundle: Bundle, spec: HookTriggerSpec<string, { id: string }>, data: Record<string, unknown>) {
  const item = data[eventDataKey(spec.event)];
  if (!item || typeof item !== 'object') {
    refuse(z, bundle, 'no_data_object', `the ${spec.event} event carries no data.${eventDataKey(spec.event)} object.`);
  }
  if (!spec.changes) return [item];
  const previous = previousAttributesOf(data);
  const onlyWhen = (bundle.inputData as HookInput | undefined)?.only_when;
  if (!passesFilter(spec.changes, onlyWhen, previous)) {
    const changed = previous ? Object.keys(previous).join(', ') || 'nothing' : 'unknown (no previous_attributes)';
    z.console.log(`${spec.label}: delivery left out by Only When "${onlyWhen}" (changed: ${changed})`);
    return [];
  }
  return [withChanges(item, previous ?? {}, spec.changes.tracked)];
}

export function createHookTrigger<const $Key extends string, $Item extends { id: string }>(spec: HookTriggerSpec<$Key, $Item>) {
  const performSubscribe = (async (z, bundle) =>
    apiRequest<WebhookCreated>(z, {
      method: 'POST',
      path: '/webhooks',
      body: { url: bundle.targetUrl, events: [spec.event] },
    })) satisfies WebhookTriggerPerformSubscribe<HookInput, WebhookCreated>;

  const performUnsubscribe = (async (z, bundle) => {
    const id = subscribeData(bundle)?.id;
    if (!id) throw new z.errors.Error('This Zap has no QualifyBase webhook subscription to remove.', 'missing_subscription', 400);
    try {
      await apiRequest<null>(z, { method: 'DELETE', path: `/webhooks/${segment(id)}` });
    } catch (error) {
      // Already gone (404: removed after a 410, or the user reconnected with another API key, which
      // sees only its own subscriptions), or its key was revoked (401: revoking a key ends its
      // subscriptions): the goal is reached, and turning a Zap off must never error.
      if (!isNotFound(error) && !isUnauthorized(error)) throw error;
    }
    return { id, unsubscribed: true };
  }) satisfies WebhookTriggerPerformUnsubscribe<HookInput, { id: string; unsubscribed: boolean }>;

  const perform = (async (z, bundle) => {
    const payload = verifiedPayload(z, bundle) as { type?: unknown; data?: Record<string, unknown> } | null;
    // Only the subscribed event; anything else (e.g. a future ping event) is not a new item.
    if (!payload || payload.type !== spec.event) return [];
    return deliveredItems(z, bundle, spec, payload.data ?? {}) as $Item[];
  }) satisfies WebhookTriggerPerform<HookInput, $Item>;

  const performList = (async (z, bundle) => {
    const limit = bundle.meta?.limit;
    const perPage = typeof limit === 'number' && limit > 0 ? Math.min(limit, 100) : SAMPLE_PAGE_SIZE;
    const items = await apiList<$Item>(z, spec.list.path, { ...spec.list.params, per_page: perPage });
    const { changes } = spec;
    return changes ? items.map((item) => withChanges(item, {}, changes.tracked) as unknown as $Item) : items;
  }) satisfies WebhookTriggerPerformList<HookInput, $Item>;

  return defineTrigger({
    key: spec.key,
    noun: spec.noun,
    display: { label: spec.label, description: spec.description },
    operation: {
      type: 'hook',
      ...(spec.changes ? { inputFields: [onlyWhenField(spec.changes)] } : {}),
      performSubscribe,
      performUnsubscribe,
      perform,
      performList,
      sample: spec.sample,
      outputFields: spec.outputFields,
    },
  });
}
