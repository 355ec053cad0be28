/** Zapier's publishing checks (see test/app/publishing-checks.ts), enforced on the app. */
import { apiBase } from '../../lib/config';
import { App } from './helpers';
import { SCHEMAS } from './operation-schemas';
import type { AppDefinition } from './publishing-checks';
import { isTitleCase, publishingProblems } from './publishing-checks';

const app = App as unknown as AppDefinition;
const clone = (): AppDefinition => ({
  ...app,
  authentication: { ...app.authentication, fields: (app.authentication?.fields ?? []).map((f) => ({ ...f })) },
  triggers: Object.fromEntries(
    Object.entries(app.triggers ?? {}).map(([k, t]) => [k, { ...t, display: { ...t.display }, operation: { ...t.operation } }]),
  ),
  creates: Object.fromEntries(
    Object.entries(app.creates ?? {}).map(([k, c]) => [k, { ...c, display: { ...c.display }, operation: { ...c.operation } }]),
  ),
  searches: {},
});

describe('publishing checks', () => {
  it('the app passes every check', () => {
    expect(publishingProblems(app, SCHEMAS)).toEqual([]);
  });

  it('has exactly the pinned operations', () => {
    expect(Object.keys(app.triggers ?? {}).sort()).toEqual([
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
    expect(Object.keys(app.creates ?? {}).sort()).toEqual([
      'appointment',
      'appointment_cancel',
      'appointment_update',
      'calendar_block',
      'calendar_unblock',
      'campaign_contact',
      'lead',
    ]);
    expect(Object.keys(app.searches ?? {}).sort()).toEqual(['find_appointment', 'find_available_slot', 'find_lead']);
    for (const key of ['campaign_list', 'agent_list', 'lead_list', 'appointment_list']) {
      expect(app.triggers?.[key]?.display?.hidden).toBe(true);
    }
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
    expect(isTitleCase('Block Calendar Slot')).toBe(true);
    expect(isTitleCase('Add contact to Campaign')).toBe(false);
    expect(isTitleCase('new Appointment')).toBe(false);
  });

  describe('each rule catches a broken definition', () => {
    const problemsAfter = (mutate: (a: AppDefinition) => void) => {
      const broken = clone();
      mutate(broken);
      return publishingProblems(broken, SCHEMAS);
    };

    it('trigger description wording', () => {
      expect(problemsAfter((a) => (a.triggers!.appointment_created!.display!.description = 'Fires on new appointments.'))).toEqual([
        'triggers.appointment_created: description does not start with "Triggers when "',
      ]);
      expect(problemsAfter((a) => (a.triggers!.appointment_created!.display!.description = 'Triggers when booked'))).toEqual([
        'triggers.appointment_created: description does not end with "."',
      ]);
    });

    it('create description wording', () => {
      expect(problemsAfter((a) => (a.creates!.calendar_block!.display!.description = 'Makes a block.'))).toEqual([
        'creates.calendar_block: description does not start with a verb such as "Creates "/"Adds "/"Blocks "',
      ]);
    });

    it('search label and description wording', () => {
      const search = {
        key: 'lookup_lead',
        noun: 'Lead',
        display: { label: 'Lookup Lead', description: 'Looks up a lead.' },
        operation: { sample: { id: 'x' } },
      };
      expect(problemsAfter((a) => (a.searches = { lookup_lead: search }))).toEqual([
        'searches.lookup_lead: label does not start with "Find "',
        'searches.lookup_lead: description does not start with "Finds "',
        'searches.lookup_lead: no contract schema to check its sample against',
      ]);
      expect(
        problemsAfter(
          (a) =>
            (a.searches = { find_lead: { ...app.searches!.find_lead!, display: { label: 'Find lead', description: 'Finds a lead.' } } }),
        ),
      ).toEqual(['searches.find_lead: label "Find lead" is not Title Case']);
    });

    it('samples: present, with an id, conforming to the schema', () => {
      expect(problemsAfter((a) => delete a.creates!.calendar_block!.operation!.sample)).toEqual([
        'creates.calendar_block: no static sample',
      ]);
      const { id: _id, ...withoutId } = app.creates!.calendar_block!.operation!.sample!;
      expect(problemsAfter((a) => (a.creates!.calendar_block!.operation!.sample = withoutId))).toEqual([
        'creates.calendar_block: sample has no id',
        expect.stringMatching(/^creates\.calendar_block: sample does not conform to its schema/),
      ]);
      expect(
        problemsAfter(
          (a) =>
            (a.triggers!.appointment_created!.operation!.sample = {
              ...app.triggers!.appointment_created!.operation!.sample,
              status: 'maybe',
            }),
        ),
      ).toEqual([expect.stringMatching(/^triggers\.appointment_created: sample does not conform to its schema/)]);
    });

    it('labels in Title Case', () => {
      expect(problemsAfter((a) => (a.creates!.campaign_contact!.display!.label = 'Add contact to campaign'))).toEqual([
        'creates.campaign_contact: label "Add contact to campaign" is not Title Case',
      ]);
    });

    it('auth field help text links to where the key is found', () => {
      expect(problemsAfter((a) => (a.authentication!.fields![0]!.helpText = 'Your API key from the dashboard.'))).toEqual([
        'authentication: field api_key help text has no markdown link to where the value is found',
      ]);
    });

    it('https only', () => {
      expect(problemsAfter((a) => (a.authentication!.fields![0]!.helpText += ' See [docs](http://www.qualifybase.com/docs).'))).toEqual([
        'non-https URL in the definition: http://www.qualifybase.com/docs',
      ]);
    });
  });
});
