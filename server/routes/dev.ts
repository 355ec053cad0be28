/**
 * Dev tools, on unless NODE_ENV=production and kept out of the OpenAPI document:
 * POST /dev/clinics makes a ready clinic; POST /dev/campaign-contacts/{id}/outcome stands in for
 * the AI agent's call outcome.
 */
import { ContactOutcomeBody, DevClinicCreate, IdParam } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { invalidInput, zodDetails, zodMessage } from '../errors';
import { parseJsonBody } from '../http/body';
import { apiKeyAuth } from '../http/auth';
import { recordContactOutcome } from '../services/campaigns';
import { createClinic, isValidTimeZone } from '../services/clinics';

export function registerDevRoutes(app: ApiApp, deps: ServerDeps): void {
  const { db } = deps.database;
  app.post('/dev/clinics', async (c) => {
    const body = await parseJsonBody(c, DevClinicCreate);
    if (!isValidTimeZone(body.timezone)) {
      throw invalidInput(`Unknown time zone "${body.timezone}"`, [{ path: 'timezone', message: 'must be an IANA time zone such as America/New_York' }]);
    }
    return c.json(await createClinic(db, body.name, body.timezone), 201);
  });

  app.use('/dev/campaign-contacts/*', apiKeyAuth(deps));
  app.post('/dev/campaign-contacts/:id/outcome', async (c) => {
    const params = IdParam.safeParse({ id: c.req.param('id') });
    if (!params.success) throw invalidInput(zodMessage(params.error, 'path parameters'), zodDetails(params.error));
    const { status } = await parseJsonBody(c, ContactOutcomeBody);
    return c.json(await recordContactOutcome(db, c.var.auth.clinicId, params.data.id, status), 200);
  });
}
