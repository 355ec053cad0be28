/**
 * What the two update triggers (Updated Appointment, Updated Lead) add to the hook trigger suite:
 * the changes a delivery's `data.previous_attributes` names reach the Zap (`changed_fields`,
 * `previous_*`), and the optional "Only When" filter leaves out the updates that did not change
 * what it names (lib/changes.ts).
 */
import { randomBytes } from 'node:crypto';

import type { Bundle, ZObject } from 'zapier-platform-core';
import type { z } from 'zod';

import { sampleWebhookCreated } from '../../contract/samples';
import { app as App, appTester, authData, useNock } from './helpers';
import { newSecret, signed, zapierStyle } from './hook-trigger-suite';

export interface UpdateFilterCase {
  key: string;
  event: string;
  dataKey: 'appointment' | 'lead';
  schema: z.ZodType;
  /** The "Only When" choices, in order. */
  choices: string[];
  /** One update: the object after it, its previous attributes, and what the trigger adds. */
  change: {
    item: { id: string } & Record<string, unknown>;
    previous_attributes: Record<string, unknown>;
    expected: Record<string, unknown>;
    /** A choice this change passes, and one it does not. */
    passes: string;
    leftOut: string;
  };
}

export function describeUpdateFilters(c: UpdateFilterCase): void {
  const trigger = App.triggers[c.key];

  /** perform on a signed delivery of `data`, with the trigger's input; returns its items and its log lines. */
  const deliver = async (data: Record<string, unknown>, inputData: Record<string, unknown> = {}) => {
    const secret = newSecret();
    const body = JSON.stringify({ id: `evt_${randomBytes(8).toString('hex')}`, type: c.event, created: '2026-05-14T13:00:00.000Z', data });
    const logged: string[] = [];
    const performLogging = async (z: ZObject, bundle: Bundle) => {
      jest.spyOn(z.console, 'log').mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      });
      return trigger.operation.perform(z, bundle);
    };
    const items = (await appTester(performLogging, {
      authData,
      inputData,
      subscribeData: { ...sampleWebhookCreated, events: [c.event], signingSecret: secret },
      rawRequest: { method: 'POST', querystring: '', headers: zapierStyle(signed(secret, body)), content: body },
      cleanedRequest: JSON.parse(body),
    } as never)) as unknown[];
    return { items, logged };
  };

  const changed = { [c.dataKey]: c.change.item, previous_attributes: c.change.previous_attributes };

  describe(`${c.key}: what changed, and the "Only When" filter`, () => {
    useNock();

    it('has one optional input, an "Only When" dropdown', () => {
      expect(trigger.operation.inputFields).toEqual([
        expect.objectContaining({
          key: 'only_when',
          label: 'Only When',
          required: false,
          helpText: 'Leave blank to trigger on every change.',
        }),
      ]);
      expect(trigger.operation.inputFields[0].choices.map((choice: { value: string }) => choice.value)).toEqual(c.choices);
    });

    it("returns the object with the changed fields and the tracked fields' previous values from data.previous_attributes", async () => {
      const { items, logged } = await deliver(changed);
      expect(items).toEqual([{ ...c.change.item, ...c.change.expected }]);
      expect(() => c.schema.parse(items[0])).not.toThrow();
      expect(logged).toEqual([]);
    });

    it(`passes a delivery that changed what the filter names (Only When: ${c.change.passes})`, async () => {
      const { items } = await deliver(changed, { only_when: c.change.passes });
      expect(items).toEqual([{ ...c.change.item, ...c.change.expected }]);
    });

    it(`leaves out, with a log line, a delivery that changed something else (Only When: ${c.change.leftOut})`, async () => {
      const { items, logged } = await deliver(changed, { only_when: c.change.leftOut });
      expect(items).toEqual([]);
      const changedFields = Object.keys(c.change.previous_attributes).join(', ');
      expect(logged).toEqual([
        `${trigger.display.label}: delivery left out by Only When "${c.change.leftOut}" (changed: ${changedFields})`,
      ]);
    });

    it('leaves out a delivery without previous_attributes when a filter is chosen (it cannot say what changed), passes it otherwise', async () => {
      const bare = { [c.dataKey]: c.change.item };
      expect((await deliver(bare, { only_when: c.change.passes })).items).toEqual([]);
      expect((await deliver(bare, { only_when: '' })).items).toHaveLength(1);
    });

    it("ignores a choice it does not know (a later version's) rather than leaving every delivery out", async () => {
      expect((await deliver(changed, { only_when: 'some_future_choice' })).items).toHaveLength(1);
    });
  });
}
