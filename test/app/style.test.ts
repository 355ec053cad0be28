/**
 * Zapier's integration build guidelines (the human review), beyond its numbered checks (those are
 * test/e2e/integration-checks.test.ts): copy in Zapier's form and short, without the integration's
 * name; labels in Title Case; samples that conform to the contract and name no other automation
 * product; the throttle on every create and search; the pinned operations.
 */
import { apiBase, API_THROTTLE } from '../../lib/config';
import { App } from './helpers';
import { SCHEMAS } from './operation-schemas';
import { type AppDefinition, isTitleCase, type Operation } from './publishing-checks';

const app = App as unknown as AppDefinition & { searchOrCreates: Record<string, { display: { label: string; description: string } }> };
const groups = { triggers: app.triggers ?? {}, creates: app.creates ?? {}, searches: app.searches ?? {} };
const all = Object.entries(groups).flatMap(([group, ops]) =>
  Object.entries(ops).map(([key, op]) => ({ where: `${group}.${key}`, group, key, op })),
);
const visible = all.filter(({ op }) => !op.display?.hidden);
type Field = { key: string; label?: string };
const fieldsOf = (op: Operation) => (op.operation?.inputFields ?? []) as Field[];

/** A description is short: "a handful of words" after "Triggers when" (build guidelines). */
const MAX_DESCRIPTION_WORDS = 15;
const CREATE_VERBS = /^(Creates|Adds|Blocks|Unblocks|Updates|Cancels|Books) /;
/** Automation products that compete with Zapier; a sample must not name them. */
const OTHER_AUTOMATION_PRODUCTS = /\b(make|integromat|n8n|ifttt|pabbly|workato|tray|power[ _-]?automate)(\b|_)/i;

const descriptions = [
  ...all.map(({ where, op }) => [where, op.display?.description ?? ''] as const),
  ...Object.entries(app.searchOrCreates).map(([key, soc]) => [`searchOrCreates.${key}`, soc.display.description] as const),
];

describe('review guidelines', () => {
  it.each(descriptions)('%s: its description is short and does not name the integration', (_where, description) => {
    expect(description).not.toMatch(/QualifyBase/i);
    expect(description.split(/\s+/).length).toBeLessThanOrEqual(MAX_DESCRIPTION_WORDS);
    expect(description).toMatch(/\.$/);
  });

  it('creates are described with a verb ("Creates …", "Adds …"), searches labelled "Find …" and described "Finds …"', () => {
    for (const { where, group, op } of all) {
      if (group === 'creates') expect([where, op.display?.description]).toEqual([where, expect.stringMatching(CREATE_VERBS)]);
      if (group === 'searches') {
        expect([where, op.display?.label, op.display?.description]).toEqual([
          where,
          expect.stringMatching(/^Find /),
          expect.stringMatching(/^Finds /),
        ]);
      }
    }
  });

  it('every field label is in Title Case, and every operation has a noun and its own key', () => {
    for (const { where, key, op } of all) {
      expect([where, op.key, Boolean(op.noun)]).toEqual([where, key, true]);
      for (const field of [...fieldsOf(op), ...((op.operation?.outputFields ?? []) as Field[])]) {
        if (field.label) expect([where, field.label, isTitleCase(field.label)]).toEqual([where, field.label, true]);
      }
    }
  });

  it.each(visible.map(({ where, key, op }) => [where, key, op] as const))(
    '%s: its sample conforms to its contract schema and names no other automation product',
    (_where, key, op) => {
      const schema = SCHEMAS[key as keyof typeof SCHEMAS];
      expect(schema).toBeDefined();
      expect(() => schema.parse(op.operation?.sample)).not.toThrow();
      expect(JSON.stringify(op.operation?.sample)).not.toMatch(OTHER_AUTOMATION_PRODUCTS);
    },
  );

  it('every create and search declares the one shared throttle: per connection, under the API limit of 120 a minute', () => {
    for (const { where, group, op } of all.filter(({ group }) => group !== 'triggers')) {
      expect([where, group, (op.operation as { throttle?: unknown }).throttle]).toEqual([where, group, API_THROTTLE]);
    }
    // The same configuration without "action" in the scope: one budget shared by all of them.
    expect(API_THROTTLE).toEqual({ window: 60, limit: 100, scope: ['auth'] });
    expect(API_THROTTLE.limit * (60 / API_THROTTLE.window)).toBeLessThan(120);
  });

  it('has exactly the pinned operations; a replaced one would be hidden, never removed', () => {
    expect(Object.keys(groups.triggers).sort()).toEqual([
      'agent_list',
      'appointment_cancelled',
      'appointment_created',
      'appointment_list',
      'appointment_updated',
      'campaign_contact_callback_requested',
      'campaign_contact_exhausted',
      'campaign_contact_not_interested',
      'campaign_contact_qualified',
      'campaign_list',
      'lead_created',
      'lead_list',
      'lead_updated',
    ]);
    expect(Object.keys(groups.creates).sort()).toEqual([
      'appointment',
      'appointment_cancel',
      'appointment_update',
      'calendar_block',
      'calendar_unblock',
      'campaign_contact',
      'lead',
      'lead_update',
    ]);
    expect(Object.keys(groups.searches).sort()).toEqual(['find_appointment', 'find_available_slot', 'find_lead']);
    expect(
      all
        .filter(({ op }) => op.display?.hidden)
        .map(({ key }) => key)
        .sort(),
    ).toEqual(['agent_list', 'appointment_list', 'campaign_list', 'lead_list']);
  });

  it('uses https in the default configuration (QB_HOST unset)', () => {
    const saved = process.env.QB_HOST;
    delete process.env.QB_HOST;
    try {
      expect(apiBase()).toBe('https://www.qualifybase.com/api/v1');
    } finally {
      if (saved !== undefined) process.env.QB_HOST = saved;
    }
  });

  it('knows Title Case', () => {
    expect(isTitleCase('Add Contact to Campaign')).toBe(true);
    expect(isTitleCase('Find or Create Lead')).toBe(true);
    expect(isTitleCase('Add contact to Campaign')).toBe(false);
    expect(isTitleCase('new Appointment')).toBe(false);
  });
});
