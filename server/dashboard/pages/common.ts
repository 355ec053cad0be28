/** What every dashboard page shares: the app type, rendering, refusals and safe redirect targets. */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { DashboardEnv } from '../env';
import { errorPage, type Html } from '../views/layout';

export type DashboardApp = Hono<DashboardEnv>;
export type Ctx = Context<DashboardEnv>;

export const LOGIN_PATH = '/dashboard/login';
export const Uuid = z.uuid();

/** Only a path inside the dashboard may be a redirect target (no //host, no scheme). */
export function safeNext(value: string | undefined): string | undefined {
  if (!value || value.length > 500) return undefined;
  return /^\/dashboard(?:[/?][A-Za-z0-9\-._~/?=&%]*)?$/.test(value) && !value.includes('//') ? value : undefined;
}

export function render(c: Ctx, body: Html, status: 200 | 400 | 401 | 403 | 404 | 429 | 500 | 503 = 200) {
  return c.html(body, status);
}

export function refuse(c: Ctx, message: string) {
  return render(c, errorPage(403, message), 403);
}
