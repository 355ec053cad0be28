/** `npm start`: the reference server on http://127.0.0.1:8787 (see README for configuration). */
import { startServer, type DemoCredentials } from './server';
import { stopOnSignals } from './shutdown';

/**
 * What a first start tells the operator. The demo (development) shows the key and login once, as
 * DESIGN.md pins; production names the 0600 file that holds them and prints no secret.
 */
function firstStartLines(demo: DemoCredentials, url: string): string[] {
  const { clinic, email, password, credentialsFile } = demo;
  if (credentialsFile) {
    return [
      `First start: created the clinic "${clinic.clinic.name}". Its API key${email ? ` and the dashboard login of ${email}` : ''} were written to`,
      `  ${credentialsFile} (mode 0600), not to this log: read it, keep the values somewhere safe, then delete it.`,
      ...(email ? [] : ['  No dashboard user: set QB_ADMIN_EMAIL on the first start to create one.']),
    ];
  }
  return [
    `First start: created the demo clinic "${clinic.clinic.name}". These are shown once; keep them.`,
    `  API key:          ${clinic.api_key}`,
    email ? `  Dashboard login:  ${email} / ${password}   (${url}/dashboard)` : '  Dashboard login:  none',
    `  Try it:           export QB_HOST=${url} QB_KEY=${clinic.api_key}`,
    `                    curl -s "$QB_HOST/api/v1/me" -H "Authorization: Bearer $QB_KEY"`,
  ];
}

async function main() {
  const started = Date.now();
  const running = await startServer();
  const { config } = running.deps;
  const where = config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : config.dataDir === 'memory'
      ? 'embedded database in memory'
      : `embedded database in ${config.dataDir}`;
  const lines = [
    `QualifyBase reference server listening on ${running.url} (${where}, ready in ${Date.now() - started} ms)`,
    `  API:      ${running.url}/api/v1   OpenAPI: ${running.url}/api/v1/openapi.json`,
  ];
  if (config.devTools) lines.push(`  Dev tools on (QB_DEV_TOOLS=1): POST ${running.url}/dev/clinics`);
  if (config.allowPrivateWebhooks) lines.push('  Webhooks to loopback/private addresses allowed (QB_ALLOW_PRIVATE_WEBHOOKS=1)');
  if (running.demo) lines.push('', ...firstStartLines(running.demo, running.url));
  // One write, so whoever reads the banner sees all of it at once.
  console.log(lines.join('\n'));
  // Graceful: no new connections, in-flight requests and delivery attempts finish, then exit 0.
  // Bounded: whatever is still running after the timeout (plus the queue's own) is cut off.
  stopOnSignals({
    finishing: 'in-flight requests and webhook attempts',
    timeoutMs: config.shutdownTimeoutMs + 15_000,
    close: () => running.close(),
  });
}

main().catch((error) => {
  console.error(`Could not start the server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
