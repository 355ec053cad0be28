/**
 * A local stand-in for Zapier's developer platform API (`${ZAPIER_BASE_ENDPOINT}/api/platform/cli`),
 * so that Zapier's own CLI can run `register`, `validate` (with the integration checks), `push`,
 * `upload`, `promote` and `migrate` offline. It answers the calls that the CLI's
 * src/utils/api.js, src/oclif/hooks/getAppRegistrationFieldChoices.js and the promote/migrate
 * commands make, checks the deploy key on every call that carries one, and records every request
 * (uploads keep their zips) for the test to inspect.
 *
 * What it answers to POST /check (Zapier's integration checks, run by `validate` and by `push`
 * before it uploads): the real result of our offline copy of the checks that can be decided from
 * the definition (the D and C checks of test/app/publishing-checks.ts) on the definition the CLI
 * sent, every failure as an Error (so `push` refuses to upload, as Zapier's server does for its
 * Errors; Zapier would file some of them as Publishing Tasks or Warnings instead). The checks only
 * Zapier's servers can decide (account, settings, stats, lifecycle, Zap History) it does not
 * answer at all: its "passed" count is the number of our definition checks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import publicVersion from '../app/public-version.json';
import { type AppDefinition, DEFINITION_CHECKS, definitionProblems, type PublicVersion } from '../app/publishing-checks';

export interface RecordedCall {
  method: string;
  path: string;
  deployKey: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface UploadedVersion {
  version: string;
  zip: Buffer;
  sourceZip: Buffer;
  skipValidation: boolean;
}

export interface PlatformStandIn {
  /** What to put in ZAPIER_BASE_ENDPOINT. */
  baseEndpoint: string;
  calls: RecordedCall[];
  uploads: UploadedVersion[];
  /** The app_definition of every POST /check (validate, and build's validation step). */
  checkedDefinitions: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const API_PATH = '/api/platform/cli';

/** A category of the result `zapier-platform validate` prints and `push` checks (`errors.total_failures`). */
const category = (label: string, results: unknown[] = [], failures = 0) => ({ display_label: label, total_failures: failures, results });

/**
 * Our definition checks' result on a definition, in the shape the CLI reads (src/utils/display.js
 * flattenCheckResult): a failed check is a violation whose results carry the check ID as `tag`.
 */
export function checkResult(definition: AppDefinition) {
  const problems = definitionProblems(definition, { publicVersion: publicVersion as PublicVersion });
  const failed = Object.entries(problems);
  const violations = failed.map(([id, messages]) => ({ type: id, results: messages.map((message) => ({ message, tag: id })) }));
  return {
    passes: Object.keys(DEFINITION_CHECKS)
      .filter((id) => !(id in problems))
      .map((tag) => ({ tag })),
    errors: category('Errors', violations.length ? [{ type: 'checks', violations }] : [], failed.length),
    warnings: category('Publishing Tasks'),
    suggestions: category('Warnings'),
  };
}

/** The enum choices `register` validates its --audience/--role/--category flags against. */
const FIELD_CHOICES = {
  intention: [
    { value: 'private', name: 'Private' },
    { value: 'global', name: 'Public' },
  ],
  role: [
    { value: 'employee', name: 'I work at [app_title]' },
    { value: 'contractor', name: 'I am a contractor for [app_title]' },
  ],
  app_category: [{ value: 'scheduling-booking', name: 'Scheduling & Booking' }],
};

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startPlatformStandIn({ deployKey, appId }: { deployKey: string; appId: number }): Promise<PlatformStandIn> {
  const calls: RecordedCall[] = [];
  const uploads: UploadedVersion[] = [];
  const checkedDefinitions: Array<Record<string, unknown>> = [];
  let app: Record<string, unknown> | undefined;

  const route = (method: string, path: string, body: Record<string, unknown> | undefined, keyOk: boolean): [number, unknown] => {
    if (method === 'GET' && path === '/apps/fields-choices') return [200, FIELD_CHOICES];
    if (method === 'POST' && path === '/check') {
      checkedDefinitions.push(body?.app_definition as Record<string, unknown>);
      return [200, checkResult(body?.app_definition as AppDefinition)];
    }
    if (!keyOk) return [401, { errors: ['Invalid deploy key'] }];
    if (method === 'POST' && path === '/apps?formId=create') {
      app = { ...body, id: appId, key: `App${appId}`, status: 'private', public: false, public_ish: false, latest_version: null };
      return [201, app];
    }
    const appMatch = /^\/apps\/(\d+)(\/.*)?$/.exec(path);
    if (!appMatch || Number(appMatch[1]) !== appId || !app) return [404, { errors: ['Not found'] }];
    const rest = appMatch[2] ?? '';
    if (method === 'GET' && rest === '') return [200, app];
    if (method === 'PUT' && rest === '') {
      app = { ...app, ...body };
      return [200, app];
    }
    const versionMatch = /^\/versions\/([^/]+)$/.exec(rest);
    if (method === 'PUT' && versionMatch) {
      uploads.push({
        version: decodeURIComponent(versionMatch[1]!),
        zip: Buffer.from(String(body?.zip_file ?? ''), 'base64'),
        sourceZip: Buffer.from(String(body?.source_zip_file ?? ''), 'base64'),
        skipValidation: body?.skip_validation === true,
      });
      return [200, { version: versionMatch[1] }];
    }
    if (method === 'POST' && (rest === '/pre-migration-require-confirmation-checks' || rest === '/migrations')) return [200, {}];
    return [404, { errors: [`The stand-in does not answer ${method} ${path}`] }];
  };

  const server = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = `${url.pathname.slice(API_PATH.length)}${url.search}`;
    const key = req.headers['x-deploy-key'] as string | undefined;
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: ['Body is not JSON'] }));
      return;
    }
    calls.push({ method: req.method ?? 'GET', path, deployKey: key, body });
    const [status, payload] = url.pathname.startsWith(API_PATH)
      ? route(req.method ?? 'GET', path, body, key === deployKey)
      : [404, { errors: ['Not the platform API'] }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseEndpoint: `http://127.0.0.1:${port}`,
    calls,
    uploads,
    checkedDefinitions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
