import nock from 'nock';

import { sampleMe } from '../../contract/samples';
import { API_KEY, app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

describe('authentication', () => {
  useNock();

  it('is custom auth with one required password field whose help links to the API keys page', () => {
    expect(App.authentication.type).toBe('custom');
    expect(App.authentication.fields).toEqual([expect.objectContaining({ key: 'api_key', type: 'password', required: true })]);
    const help = App.authentication.fields![0]!.helpText!;
    expect(help).toMatch(/\[[^\]]*Setup → API keys\]\(https:\/\/www\.qualifybase\.com\/dashboard\/setup\/api-keys\)/);
  });

  it('tests the key with GET /api/v1/me, sending it only as a Bearer header', async () => {
    const seen: string[] = [];
    api()
      .get((uri) => {
        seen.push(uri);
        return uri.startsWith('/api/v1/me');
      })
      .reply(200, sampleMe);
    const me = await appTester(App.authentication.test as never, { authData });
    expect(me).toEqual(sampleMe);
    // nock may call the matcher more than once per request: every URI seen is the bare path.
    expect(new Set(seen)).toEqual(new Set(['/api/v1/me']));
    expect(seen.join()).not.toContain(API_KEY);
  });

  it("labels the connection with the clinic's name and the key's name, so two keys of one clinic differ", async () => {
    const label = (me: object) => appTester(App.authentication.connectionLabel as never, { authData, inputData: me });
    await expect(label(sampleMe)).resolves.toBe('Acme Dental (Zapier)');
    await expect(label({ ...sampleMe, api_key: { ...sampleMe.api_key, name: 'Zapier (front desk)' } })).resolves.toBe(
      'Acme Dental (Zapier (front desk))',
    );
    // A key without a name (the dashboard always asks for one) still shows the clinic.
    await expect(label({ ...sampleMe, api_key: { ...sampleMe.api_key, name: ' ' } })).resolves.toBe('Acme Dental');
  });

  it('honours QB_HOST (trailing slash stripped) at request time', async () => {
    process.env.QB_HOST = 'http://127.0.0.1:9/';
    const scope = nock('http://127.0.0.1:9', { reqheaders: { authorization: `Bearer ${API_KEY}` } })
      .get('/api/v1/me')
      .reply(200, sampleMe);
    await appTester(App.authentication.test as never, { authData });
    expect(scope.isDone()).toBe(true);
  });

  it('never sends the key to other hosts', async () => {
    const scope = nock('https://example.com', { badheaders: ['authorization'] })
      .get('/elsewhere')
      .reply(200, {});
    await appTester(async (z) => (await z.request('https://example.com/elsewhere')).status, { authData });
    expect(scope.isDone()).toBe(true);
  });

  it('does not send the key to a look-alike host that merely starts with the API base', async () => {
    const scope = nock('https://www.qualifybase.com.evil.test', { badheaders: ['authorization'] })
      .get('/api/v1/me')
      .reply(200, {});
    await appTester(async (z) => (await z.request('https://www.qualifybase.com.evil.test/api/v1/me')).status, {
      authData,
    });
    expect(scope.isDone()).toBe(true);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/me'),
      () => appTester(App.authentication.test as never, { authData }),
      { repeatable: true },
    );
  });
});
