/**
 * Dev tools, kept out of the OpenAPI document and off unless QB_DEV_TOOLS=1 (refused in
 * production and on a non-loopback listener, see config.ts): POST /dev/clinics makes a ready
 * clinic; POST /dev/campaign-contacts/{id}/outcome stands in for the AI agent's call outcome and
 * needs a key with campaigns:write. JSON bodies only: a cross-site form or text/plain POST (which
 * a browser sends without a CORS preflight) is refused with 415.
 */
import { ContactOutcomeBody, DevClinicCreate, IdParam } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { ApiError, invalidInput, zodDetails, zodMessage } from '../errors';
import { parseJsonBody } from '../http/body';
import { apiKeyAuth, requireScope } from '../http/auth';
import { recordContactOutcome } from '../services/campaigns';
import { createClinic, isValidTimeZone } from '../services/clinics';

export function registerDevRoutes(app: ApiApp, deps: ServerDeps): void {
  const { db } = deps.database;
  app.use('/dev/*', async (c, next) => {
    const [type = ''] = (c.req.header('content-type') ?? '').split(';');
    const mediaType = type.trim().toLowerCase();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && mediaType !== 'application/json') {
      throw new ApiError(415, 'invalid_input', 'Dev tools accept only JSON bodies: send Content-Type: application/json');
    }
    await next();
  });
  app.post('/dev/clinics', async (c) => {
    const body = await parseJsonBody(c, DevClinicCreate);
    if (!isValidTimeZone(body.timezone)) {
      throw invalidInput(`Unknown time zone "${body.timezone}"`, [
        { path: 'timezone', message: 'must be an IANA time zone such as America/New_York' },
      ]);
    }
    return c.json(await createClinic(db, body.name, body.timezone), 201);
  });

  app.use('/dev/campaign-contacts/*', apiKeyAuth(deps), requireScope('campaigns:write'));
  app.post('/dev/campaign-contacts/:id/outcome', async (c) => {
    const params = IdParam.safeParse({ id: c.req.param('id') });
    if (!params.success) throw invalidInput(zodMessage(params.error, 'path parameters'), zodDetails(params.error));
    const { status } = await parseJsonBody(c, ContactOutcomeBody);
    return c.json(await recordContactOutcome(db, deps.config, c.var.auth.clinicId, params.data.id, status), 200);
  });
}
