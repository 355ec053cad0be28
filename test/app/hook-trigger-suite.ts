/**
 * The behaviour every REST-hook trigger shares (they come from one factory, lib/hook-trigger.ts);
 * each trigger's own test file runs this suite with its event, list endpoint and sample.
 */
import { randomBytes } from 'node:crypto';

import type { Bundle, ZObject } from 'zapier-platform-core';

import { Webhook } from 'standardwebhooks';
import type { z } from 'zod';

import { sampleWebhookCreated } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

export interface HookTriggerCase {
  key: string;
  event: string;
  dataKey: 'appointment' | 'contact' | 'lead';
  listPath: string;
  /** The list's status filter; none for lists that show every status (leads). */
  status?: string;
  schema: z.ZodType;
  /** An object as the API's GET returns it, delivered in the event and listed by performList. */
  item: { id: string } & Record<string, unknown>;
  /**
   * What the Zap gets for `item` when the delivery names no change: the item itself, or for an
   * update trigger the item with `changed_fields` and `previous_*` (lib/changes.ts).
   */
  shape?: (item: Record<string, unknown>) => Record<string, unknown>;
}

const TARGET_URL = 'https://hooks.zapier.com/hooks/standard/123456/abcdef/';

/** The headers of a delivery signed by the standardwebhooks library, as the server sends it. */
export function signed(secret: string, body: string, at = new Date()): Record<string, string> {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const signature = new Webhook(secret).sign(id, at, body);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Zapier's raw-request header form: `Http-` prefix, Camel-Case (`Http-Webhook-Id`). */
export function zapierStyle(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { 'Content-Type': 'application/json' };
  for (const [name, value] of Object.entries(headers)) {
    const camel = name
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
      .join('-');
    out[`Http-${camel}`] = value;
  }
  return out;
}

export function describeHookTrigger(c: HookTriggerCase): void {
  const trigger = (App.triggers as Record<string, any>)[c.key];
  const expected = (c.shape ?? ((item) => item))(c.item);

  const envelope = (type = c.event) => ({
    id: `evt_${randomBytes(8).toString('hex')}`,
    type,
    created: '2026-05-14T12:00:00.000Z',
    data: { [c.dataKey]: c.item },
  });

  /** What perform logged with z.console.log during the last delivery (what `zapier-platform logs` shows). */
  let logged: string[] = [];

  /** Runs perform on a bundle, keeping what it logs in `logged`. */
  const performLogging = (bundle: object) => {
    logged = [];
    const withLogs = async (z: ZObject, b: Bundle) => {
      jest.spyOn(z.console, 'log').mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      });
      return trigger.operation.perform(z, b);
    };
    return appTester(withLogs, bundle as never);
  };

  const deliver = (secret: string | undefined, headers: Record<string, string>, content: string) =>
    performLogging({
      authData,
      subscribeData: { ...sampleWebhookCreated, events: [c.event], signingSecret: secret },
      rawRequest: { method: 'POST', querystring: '', headers, content },
      // Zapier hands a body that is not JSON on as it can; perform reads only the raw request.
      cleanedRequest: content.startsWith('{') ? JSON.parse(content) : {},
    });

  /** The refusal's message, after checking it logged its reason code and neither the secret nor the body. */
  const refusal = async (promise: Promise<unknown>, reason: string, secret?: string) => {
    const error = await promise.then(
      () => {
        throw new Error('expected the delivery to be refused');
      },
      (e: Error) => e,
    );
    expect(error.name).toBe('HaltedError');
    expect(error.message).toMatch(/^QualifyBase webhook delivery refused: /);
    expect(logged).toEqual([expect.stringMatching(new RegExp(`^QualifyBase webhook delivery refused: ${reason} \\(delivery `))]);
    if (secret) expect(logged.join()).not.toContain(secret.slice('whsec_'.length, 20));
    expect(logged.join()).not.toContain(c.item.id);
    return error.message;
  };

  describe(`${c.key} (REST hook for ${c.event})`, () => {
    useNock();

    it('is a hook trigger with a labelled output field for every property of what it returns', () => {
      expect(trigger.key).toBe(c.key);
      expect(trigger.operation.type).toBe('hook');
      const keys = trigger.operation.outputFields.map((f: { key: string }) => f.key);
      expect(keys.sort()).toEqual(Object.keys(expected).sort());
      for (const field of trigger.operation.outputFields) expect(field.label).toMatch(/^[A-Z]/);
    });

    it(`subscribes with POST /webhooks {url: targetUrl, events: ["${c.event}"]} and keeps the response`, async () => {
      const created = { ...sampleWebhookCreated, url: TARGET_URL, events: [c.event], signingSecret: newSecret() };
      api()
        .post('/api/v1/webhooks', (body) => {
          expect(body).toEqual({ url: TARGET_URL, events: [c.event] });
          return true;
        })
        .reply(201, created);
      const result = await appTester(trigger.operation.performSubscribe, { authData, targetUrl: TARGET_URL });
      expect(result).toEqual(created);
    });

    it('unsubscribes with DELETE /webhooks/{subscribeData.id}', async () => {
      const scope = api().delete(`/api/v1/webhooks/${sampleWebhookCreated.id}`).reply(204);
      const result = await appTester(trigger.operation.performUnsubscribe, {
        authData,
        subscribeData: { ...sampleWebhookCreated, events: [c.event] },
      } as never);
      expect(scope.isDone()).toBe(true);
      expect(result).toEqual({ id: sampleWebhookCreated.id, unsubscribed: true });
    });

    it('unsubscribing succeeds when the API no longer has the subscription (404), so turning a Zap off never errors', async () => {
      const scope = api()
        .delete(`/api/v1/webhooks/${sampleWebhookCreated.id}`)
        .reply(404, { error: 'Webhook not found.', code: 'not_found' });
      const result = await appTester(trigger.operation.performUnsubscribe, {
        authData,
        subscribeData: { ...sampleWebhookCreated, events: [c.event] },
      } as never);
      expect(scope.isDone()).toBe(true);
      expect(result).toEqual({ id: sampleWebhookCreated.id, unsubscribed: true });
    });

    it('unsubscribing succeeds when the key was revoked (401: revoking a key ends its subscriptions)', async () => {
      const scope = api()
        .delete(`/api/v1/webhooks/${sampleWebhookCreated.id}`)
        .reply(401, { error: 'Invalid API key.', code: 'unauthorized' });
      const result = await appTester(trigger.operation.performUnsubscribe, {
        authData,
        subscribeData: { ...sampleWebhookCreated, events: [c.event] },
      } as never);
      expect(scope.isDone()).toBe(true);
      expect(result).toEqual({ id: sampleWebhookCreated.id, unsubscribed: true });
    });

    it('unsubscribing still reports other API errors (403: the key lacks webhooks:write)', async () => {
      api().delete(`/api/v1/webhooks/${sampleWebhookCreated.id}`).reply(403, { error: 'Missing scope.', code: 'insufficient_scope' });
      const error = await appTester(trigger.operation.performUnsubscribe, {
        authData,
        subscribeData: { ...sampleWebhookCreated, events: [c.event] },
      } as never).catch((e: Error) => e);
      expect(JSON.parse((error as Error).message)).toMatchObject({ status: 403, code: 'insufficient_scope' });
    });

    it(`lists samples with GET ${c.listPath}${c.status ? `?status=${c.status}` : ''}, the same shape perform returns`, async () => {
      api()
        .get(c.listPath)
        .query(c.status ? { status: c.status, per_page: '25' } : { per_page: '25' })
        .reply(200, { data: [c.item], meta: { page: 1, per_page: 25, total: 1 } });
      const listed = await appTester(trigger.operation.performList, { authData });
      expect(listed).toEqual([expected]);

      const secret = newSecret();
      const body = JSON.stringify(envelope());
      const delivered = await deliver(secret, zapierStyle(signed(secret, body)), body);
      expect(delivered).toEqual(listed);
      expect(() => c.schema.parse((delivered as unknown[])[0])).not.toThrow();
      expect(logged).toEqual([]);
    });

    describe('signature verification', () => {
      it(`accepts a valid delivery with Zapier-style header names and returns [data.${c.dataKey}]`, async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        await expect(deliver(secret, zapierStyle(signed(secret, body)), body)).resolves.toEqual([expected]);
      });

      it('accepts plain lower-case header names', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        await expect(deliver(secret, signed(secret, body), body)).resolves.toEqual([expected]);
      });

      it('accepts the X-QualifyBase-* header names in Zapier form (Http-X-Qualifybase-Signature)', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        const h = signed(secret, body);
        const headers = zapierStyle({
          'X-QualifyBase-Delivery': h['webhook-id'],
          'X-QualifyBase-Timestamp': h['webhook-timestamp'],
          'X-QualifyBase-Signature': h['webhook-signature'],
          'X-QualifyBase-Event': c.event,
        });
        expect(Object.keys(headers)).toContain('Http-X-Qualifybase-Signature');
        await expect(deliver(secret, headers, body)).resolves.toEqual([expected]);
      });

      it('refuses a tampered body', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        const tampered = body.replace(c.item.id, '00000000-0000-4000-8000-000000000000');
        expect(tampered).not.toBe(body);
        expect(await refusal(deliver(secret, zapierStyle(signed(secret, body)), tampered), 'no_match', secret)).toMatch(/does not match/);
      });

      it('refuses a delivery signed with another secret', async () => {
        const body = JSON.stringify(envelope());
        const secret = newSecret();
        expect(await refusal(deliver(secret, zapierStyle(signed(newSecret(), body)), body), 'no_match', secret)).toMatch(/does not match/);
      });

      it("accepts an authentic delivery that waited hours in Zapier's queue", async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        const threeHoursAgo = new Date(Date.now() - 3 * 60 * 60 * 1000);
        await expect(deliver(secret, zapierStyle(signed(secret, body, threeHoursAgo)), body)).resolves.toEqual([expected]);
      });

      it('refuses a delivery older than a day (a replay)', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        const twoDaysAgo = new Date(Date.now() - 48 * 60 * 60 * 1000);
        expect(await refusal(deliver(secret, zapierStyle(signed(secret, body, twoDaysAgo)), body), 'stale_timestamp', secret)).toMatch(
          /timestamp/,
        );
      });

      it('refuses a delivery without a signature header', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        const { 'webhook-signature': _omitted, ...unsigned } = signed(secret, body);
        expect(await refusal(deliver(secret, zapierStyle(unsigned), body), 'missing_headers', secret)).toMatch(/missing/);
      });

      it('refuses a delivery when the subscription has no signing secret', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope());
        expect(await refusal(deliver(undefined, zapierStyle(signed(secret, body)), body), 'missing_secret')).toMatch(/signing secret/);
      });

      it('refuses a delivery without the raw request', async () => {
        const delivery = performLogging({
          authData,
          subscribeData: { ...sampleWebhookCreated, signingSecret: newSecret() },
          cleanedRequest: envelope(),
        });
        expect(await refusal(delivery, 'no_raw_request')).toMatch(/raw request/);
      });

      it('refuses a validly signed body that is not JSON', async () => {
        const secret = newSecret();
        const body = 'not json';
        expect(await refusal(deliver(secret, zapierStyle(signed(secret, body)), body), 'body_not_json', secret)).toMatch(/not JSON/);
      });

      it(`refuses a validly signed ${c.event} event without data.${c.dataKey}`, async () => {
        const secret = newSecret();
        const body = JSON.stringify({ ...envelope(), data: {} });
        expect(await refusal(deliver(secret, zapierStyle(signed(secret, body)), body), 'no_data_object', secret)).toMatch(
          /carries no data/,
        );
      });

      it('ignores a validly signed delivery of another event type', async () => {
        const secret = newSecret();
        const body = JSON.stringify(envelope(c.event === 'lead.created' ? 'appointment.created' : 'lead.created'));
        await expect(deliver(secret, zapierStyle(signed(secret, body)), body)).resolves.toEqual([]);
      });
    });

    describe('errors (performList)', () => {
      itMapsApiErrors(
        () => api().get(c.listPath).query(true),
        () => appTester(trigger.operation.performList, { authData }),
        { repeatable: true },
      );
    });

    describe('errors (performSubscribe)', () => {
      itMapsApiErrors(
        () => api().post('/api/v1/webhooks'),
        () => appTester(trigger.operation.performSubscribe, { authData, targetUrl: TARGET_URL }),
        { repeatable: false },
      );
    });
  });
}
