/**
 * Zapier's integration checks (all 50 of the reference), each accounted for:
 *
 * - the D and C checks, decided from the definition and its samples: the app passes each, and each
 *   catches a definition broken the way it guards against;
 * - the T and Z checks Zapier decides from the Zap History of live Zaps, decided here from a test
 *   run of every operation against the reference server (test/e2e/live-run.ts);
 * - the checks only Zapier's servers can decide (account, settings, stats, lifecycle), listed with
 *   why and never reported as passed;
 * - the README's table of all 50 says which of these decides each one.
 *
 * The checks themselves are in test/app/publishing-checks.ts (test/ship's platform stand-in runs
 * the definition checks on what the CLI sends to Zapier's /check).
 */
import fs from 'node:fs';
import path from 'node:path';

import { labelOf } from '../../authentication';
import { sampleMe } from '../../contract/samples';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import publicVersion from '../app/public-version.json';
import {
  ALL_CHECK_IDS,
  type AppDefinition,
  DEFINITION_CHECKS,
  type DefinitionCheckId,
  type LiveRun,
  RUN_CHECKS,
  type RunCheckId,
  SERVER_CHECKS,
} from '../app/publishing-checks';
import { runEveryOperation } from './live-run';
import { app, pointAppAt, run } from './zap';

const ROOT = path.resolve(__dirname, '../..');
const context = { publicVersion: publicVersion as never };

/** The definition as the CLI sends it to Zapier's /check (functions as strings), to break at will. */
const definition = (): any => JSON.parse(JSON.stringify(app, (_key, value) => (typeof value === 'function' ? '$func$2$f$' : value)));

const problemsOf = (id: DefinitionCheckId, broken: AppDefinition) => DEFINITION_CHECKS[id].run(broken, context);

/** One definition broken the way each check guards against, and the problem the check reports. */
const BREAKS: Record<DefinitionCheckId, [string, (d: any) => void, RegExp]> = {
  C001: ['an operation of the public version hidden', (d) => (d.creates.lead.display.hidden = true), /creates\.lead .*is now hidden/],
  C002: [
    'a public input field removed',
    (d) => d.creates.lead.operation.inputFields.pop(),
    /creates\.lead: input field external_id was removed/,
  ],
  C003: [
    'a public sample key removed',
    (d) => delete d.triggers.lead_created.operation.sample.city,
    /lead_created: sample key city was removed/,
  ],
  D001: [
    'an action field asking for an API key',
    (d) => d.creates.lead.operation.inputFields.push({ key: 'api_key', label: 'API Key' }),
    /api_key asks for a credential/,
  ],
  D002: ['an auth field help text without a link', (d) => (d.authentication.fields[0].helpText = 'Your API key.'), /no markdown link/],
  D003: ['no connection label', (d) => delete d.authentication.connectionLabel, /no connection label/],
  D004: [
    'a typed "Appointment ID" search field (1.0.0\'s Find Appointment)',
    (d) => {
      const field = d.searches.find_appointment.operation.inputFields[0];
      delete field.dynamic;
      field.label = 'Appointment ID';
    },
    /find_appointment: input field appointment_id \("Appointment ID"\) asks for an ID without a dynamic dropdown/,
  ],
  D005: [
    'a dropdown on a trigger that does not exist',
    (d) => (d.creates.appointment.operation.inputFields[0].dynamic = 'leads.id.label'),
    /names no trigger leads/,
  ],
  D006: [
    'a hook trigger without performList',
    (d) => delete d.triggers.lead_created.operation.performList,
    /lead_created: hook trigger without performList/,
  ],
  D007: [
    'an http URL',
    (d) => (d.creates.lead.operation.inputFields[0].helpText = 'See [docs](http://example.com/docs).'),
    /non-https URL http:\/\/example\.com\/docs/,
  ],
  D008: [
    'a bare URL in help text',
    (d) => (d.creates.lead.operation.inputFields[0].helpText = 'See https://example.com/docs'),
    /bare URL https:\/\/example\.com\/docs/,
  ],
  D009: ['a search without a field', (d) => (d.searches.find_lead.operation.inputFields = []), /find_lead: search without a search field/],
  D010: [
    'a dropdown trigger sample without id',
    (d) => delete d.triggers.campaign_list.operation.sample.id,
    /campaign_list: sample has no primary key id/,
  ],
  D011: [
    '1.0.0\'s "Email: The contact\'s email address."',
    (d) =>
      (d.creates.campaign_contact.operation.inputFields.find((f: { key: string }) => f.key === 'email').helpText =
        "The contact's email address."),
    /campaign_contact: input field email: help text .* only repeats its label "Email"/,
  ],
  D012: ['no sample', (d) => delete d.creates.calendar_block.operation.sample, /calendar_block: no static sample/],
  D013: [
    'a search link to no search',
    (d) => (d.creates.appointment.operation.inputFields[0].search = 'lookup_lead.id'),
    /names no search lookup_lead/,
  ],
  D014: [
    'a search link without a dropdown',
    (d) => delete d.creates.appointment.operation.inputFields[0].dynamic,
    /lead_id has a search connector but no dynamic dropdown/,
  ],
  D015: [
    'a search-or-create on a missing update',
    (d) => (d.searchOrCreates.find_lead.update = 'lead_upsert'),
    /update lead_upsert does not exist/,
  ],
  D016: [
    'nothing but a static webhook',
    (d) => {
      d.triggers = { hook: { key: 'hook', operation: { type: 'hook', perform: '$func$' } } };
      d.creates = {};
      d.searches = {};
    },
    /only a static webhook/,
  ],
  D017: [
    'a hook trigger without subscribe',
    (d) => delete d.triggers.lead_created.operation.performSubscribe,
    /lead_created: hook trigger without performSubscribe/,
  ],
  D018: [
    'a label not in Title Case',
    (d) => (d.creates.campaign_contact.display.label = 'Add contact to campaign'),
    /label "Add contact to campaign" is not Title Case/,
  ],
  D021: [
    'a trigger description not "Triggers when …."',
    (d) => (d.triggers.lead_created.display.description = 'Fires on new leads.'),
    /lead_created: description does not start with "Triggers when "/,
  ],
  D022: [
    'a create without input fields',
    (d) => (d.creates.calendar_unblock.operation.inputFields = []),
    /calendar_unblock: no static input field/,
  ],
  D023: [
    'a sample date not in ISO 8601',
    (d) => (d.creates.lead.operation.sample.created_at = '01 Aug 2019 06:50:30'),
    /sample date "01 Aug 2019 06:50:30"/,
  ],
  D024: [
    'a sample value of the wrong type',
    (d) => (d.triggers.campaign_list.operation.sample.total_contacts = '42'),
    /total_contacts is "42", not a integer/,
  ],
  D025: [
    'a javascript: link',
    (d) => (d.creates.lead.operation.inputFields[0].helpText = 'See [this](javascript:alert(1)).'),
    /dangerous URI javascript:alert/,
  ],
  D026: [
    'an auth field taking a subdomain',
    (d) => d.authentication.fields.push({ key: 'subdomain', label: 'Subdomain' }),
    /subdomain takes a domain or URL/,
  ],
};

describe('Zapier integration checks, decided from the definition and its samples', () => {
  it.each(Object.entries(DEFINITION_CHECKS).map(([id, check]) => [id, check.title]))('%s %s: the app passes', (id) => {
    expect(problemsOf(id as DefinitionCheckId, definition())).toEqual([]);
  });

  it.each(Object.entries(BREAKS).map(([id, [what, breakIt, reported]]) => [id, what, breakIt, reported] as const))(
    '%s catches %s',
    (id, _what, breakIt, reported) => {
      const broken = definition();
      breakIt(broken);
      const problems = problemsOf(id as DefinitionCheckId, broken);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(reported);
    },
  );

  it('D003 Connection label should be set: the label names the clinic and the key, so two keys of one clinic differ', async () => {
    expect(labelOf(sampleMe)).toBe('Acme Dental (Zapier)');
    expect(labelOf({ ...sampleMe, api_key: { ...sampleMe.api_key, name: 'Zapier 2' } })).not.toBe(labelOf(sampleMe));
    const label = await run(app.authentication.connectionLabel, 'unused', { inputData: sampleMe });
    expect(label).toBe('Acme Dental (Zapier)');
  });
});

describe('Zapier integration checks, decided from a test run of every operation against the reference server', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let runs: LiveRun[];
  let restoreHost = () => {};

  beforeAll(async () => {
    srv = await startTestServer('pglite', { webhookScheduleScale: 0.001 });
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Integration Checks Clinic');
    runs = await runEveryOperation(clinic);
  }, 120_000);
  afterAll(async () => {
    restoreHost();
    await srv?.close();
  });

  it('ran every trigger, create and search with results (hook triggers with a polling sample too)', () => {
    const keys = (group: 'triggers' | 'creates' | 'searches') => Object.keys(app[group]).map((key) => `${group}.${key}`);
    expect(runs.map((r) => r.where).sort()).toEqual([...keys('triggers'), ...keys('creates'), ...keys('searches')].sort());
    for (const r of runs) expect([r.where, r.results.length > 0]).toEqual([r.where, true]);
    for (const r of runs.filter((x) => x.op.operation?.type === 'hook'))
      expect([r.where, r.pollingSample?.length]).toEqual([r.where, expect.any(Number)]);
  });

  it('D003 Connection label should be set: the real /me of a key gives "<clinic> (<key name>)"', async () => {
    const me = await run(app.authentication.test, clinic.api_key);
    await expect(run(app.authentication.connectionLabel, clinic.api_key, { inputData: me })).resolves.toBe(
      `Integration Checks Clinic (${me.api_key.name})`,
    );
  });

  it.each(Object.entries(RUN_CHECKS).map(([id, check]) => [id, check.title]))('%s %s: every operation of the run passes', (id) => {
    expect(runs.flatMap((r) => RUN_CHECKS[id as RunCheckId].run(r))).toEqual([]);
  });

  /** One run doctored the way each check guards against. */
  const doctored = (where: string, change: (r: LiveRun) => void): LiveRun => {
    const copy: LiveRun = JSON.parse(JSON.stringify(runs.find((r) => r.where === where)));
    copy.op = runs.find((r) => r.where === where)!.op;
    change(copy);
    return copy;
  };

  it.each<[RunCheckId, string, string, (r: LiveRun) => void, RegExp]>([
    ['T002', 'a polling result without id', 'triggers.campaign_list', (r) => delete r.results[0]!.id, /campaign_list: result has no id/],
    [
      'T003',
      'a date that is not ISO 8601',
      'creates.lead',
      (r) => (r.results[0]!.created_at = '2019-08-01T06:50:30'),
      /date "2019-08-01T06:50:30"/,
    ],
    [
      'T004',
      'a sample key the live result lacks',
      'searches.find_lead',
      (r) => delete r.results[0]!.email,
      /static sample key email is not in the live result/,
    ],
    [
      'T005',
      'a live value of the wrong type',
      'triggers.lead_created',
      (r) => (r.results[0]!.created_at = 1_700_000_000),
      /created_at is 1700000000, not a datetime/,
    ],
    [
      'T006',
      'a polling sample key the hook lacks',
      'triggers.appointment_created',
      (r) => (r.pollingSample![0]!.extra = 1),
      /polling sample key extra/,
    ],
    [
      'Z001',
      'a polling sample value of the wrong type',
      'triggers.appointment_updated',
      (r) => (r.pollingSample![0]!.changed_fields = 'status'),
      /polling sample: changed_fields is "status", not a string list/,
    ],
  ])('%s catches %s', (id, _what, where, change, reported) => {
    const problems = RUN_CHECKS[id].run(doctored(where, change));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(reported);
  });
});

describe('Zapier integration checks: all 50 accounted for in the README', () => {
  const table = fs
    .readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| `?([A-Z]\d{3})`? +\|(.*)\|\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ id: m[1]!, rest: m[2]! }));

  it("the reference has 50 checks, each decided here or on Zapier's servers", () => {
    expect(ALL_CHECK_IDS).toHaveLength(50);
    expect(new Set(ALL_CHECK_IDS).size).toBe(50);
  });

  it('the README has a row for each of the 50, saying what decides it', () => {
    expect(table.map((row) => row.id).sort()).toEqual([...ALL_CHECK_IDS].sort());
    for (const { id, rest } of table) {
      const decided = id in SERVER_CHECKS ? /decided on Zapier's servers/ : /test\/e2e\/integration-checks\.test\.ts/;
      expect([id, rest]).toEqual([id, expect.stringMatching(decided)]);
    }
  });
});
