/** Setup -> API keys: list, create (the key is shown once) and revoke. */
import { SCOPES, type Scope } from '../../../contract';
import type { ServerDeps } from '../../context';
import { ApiError } from '../../errors';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/api-keys';
import { field, fields } from '../security';
import { apiKeysPage, keyCreatedPage } from '../views/api-keys';
import type { Flash } from '../views/layout';
import { render, Uuid, type DashboardApp } from './common';

export function registerApiKeyPages(dash: DashboardApp, { database: { db } }: ServerDeps): void {
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
    return render(c, apiKeysPage(session, await listApiKeys(db, session.clinicId), { name: '', scopes: SCOPES }, flash));
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
    if (error) {
      const keys = await listApiKeys(db, session.clinicId);
      return render(c, apiKeysPage(session, keys, { name, scopes, error }), 400);
    }
    const created = await createApiKey(db, session.clinicId, name, scopes);
    return render(c, keyCreatedPage(session, created.row, created.key));
  });

  dash.post('/setup/api-keys/:id/revoke', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'API key not found');
    const revoked = await revokeApiKey(db, c.var.session.clinicId, id.data);
    return c.redirect(`/dashboard/setup/api-keys?done=${revoked ? 'revoked' : 'gone'}`, 303);
  });
}
