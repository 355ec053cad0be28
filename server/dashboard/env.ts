/** Hono environment of the dashboard: `c.var.session` and the parsed form of a signed-in request. */
import type { DashboardSession } from './session';

export type FormFields = Record<string, string | string[]>;

export interface DashboardEnv {
  /** `https`: the request came over https, directly or at our trusted proxy (security.ts, detectHttps). */
  Variables: { session: DashboardSession; form: FormFields; requestId: string; https: boolean };
}
