/** Every public /api/v1 route module, mounted in one place. */
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { registerMeRoutes } from './me';
import { registerLeadRoutes } from './leads';
import { registerAgentRoutes } from './agents';
import { registerAvailabilityRoutes } from './availability';
import { registerAppointmentRoutes } from './appointments';
import { registerCampaignRoutes } from './campaigns';
import { registerWebhookRoutes } from './webhooks';
import { registerWebhookDeliveryRoutes } from './webhook-deliveries';

export function registerApiRoutes(app: ApiApp, deps: ServerDeps): void {
  registerMeRoutes(app, deps);
  registerLeadRoutes(app, deps);
  registerAgentRoutes(app, deps);
  registerAvailabilityRoutes(app, deps);
  registerAppointmentRoutes(app, deps);
  registerCampaignRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerWebhookDeliveryRoutes(app, deps);
}
