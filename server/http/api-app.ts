/** The OpenAPI-aware Hono app every route module registers on: one validation hook for all, one router (router.ts). */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { SplitRouter } from './router';
import { validationHook } from './validation';

export type ApiApp = OpenAPIHono<AppEnv>;

export function createApiApp(): ApiApp {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new SplitRouter() });
}
