/** Setup -> API keys: list, create (the key is shown once) and revoke. */
import { SCOPES, type Scope } from '../../../contract';
import type { ServerDeps } from '../../context';
import { ApiError } from '../../errors';
import { ApiKeyNameTaken, createApiKeyWithinLimits, listApiKeys, revokeApiKey } from '../../services/api-keys';
import { field, fields } from '../security';
import { apiKeysPage, keyCreatedPage } from '../views/api-keys';
import type { Flash } from '../views/layout';
import { render, Uuid, type DashboardApp } from './common';

export function registerApiKeyPages(dash: DashboardApp, { database: { db }, config }: ServerDeps): void {
  const limits = { maxLive: config.liveKeysPerClinic, perMinute: config.keyCreationsPerMinute };
  dash.get('/setup', (c) => c.redirect('/dashboard/setup/api-keys', 302));

  dash.get('/setup/api-keys', async (c) => {
    const session = c.var.session;
    const done = c.req.query('done');
    const flash: Flash | undefined =
      done === 'revoked'
        ? { kind: 'ok', text: 'The key was revoked. Requests with it are now refused.' }
        : done === 'gone'
          ? { kind: 'bad', text: 'That key was already revoked.' }
          : undefined;
    return render(c, apiKeysPage(session, await listApiKeys(db, session.clinicId), { name: '', scopes: SCOPES }, limits.maxLive, flash));
  });

  dash.post('/setup/api-keys', async (c) => {
    const session = c.var.session;
    const form = c.var.form;
    const name = field(form, 'name').trim();
    const requested = fields(form, 'scopes');
    const scopes = requested.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    let error: string | undefined;
    if (!name) error = 'Give the key a name, such as the system that will use it.';
    else if (name.length > 100) error = 'The name can be at most 100 characters.';
    else if (scopes.length === 0 || scopes.length !== requested.length) error = 'Choose at least one scope.';
    const refused = (message: string, status: 400 | 409 | 429) =>
      listApiKeys(db, session.clinicId).then((keys) =>
        render(c, apiKeysPage(session, keys, { name, scopes, error: message }, limits.maxLive), status),
      );
    if (error) return refused(error, 400);
    try {
      const created = await createApiKeyWithinLimits(db, session.clinicId, name, scopes, limits);
      return render(c, keyCreatedPage(session, created.row, created.key));
    } catch (e) {
      if (e instanceof ApiKeyNameTaken) return refused(e.message, e.status);
      if (!(e instanceof ApiError) || (e.status !== 409 && e.status !== 429)) throw e;
      if (e.headers?.['Retry-After']) c.header('Retry-After', e.headers['Retry-After']);
      return refused(e.message, e.status);
    }
  });

  dash.post('/setup/api-keys/:id/revoke', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'API key not found');
    const revoked = await revokeApiKey(db, c.var.session.clinicId, id.data);
    return c.redirect(`/dashboard/setup/api-keys?done=${revoked ? 'revoked' : 'gone'}`, 303);
  });
}
