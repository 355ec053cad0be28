/** Hono environment of the dashboard: `c.var.session` and the parsed form of a signed-in request. */
import type { DashboardSession } from './session';

export type FormFields = Record<string, string | string[]>;

export interface DashboardEnv {
  Variables: { session: DashboardSession; form: FormFields; requestId: string };
}
