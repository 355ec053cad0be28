/** `npm start`: the reference server on http://127.0.0.1:8787 (see README for configuration). */
import { startServer } from './server';

async function main() {
  const started = Date.now();
  const running = await startServer();
  const { config } = running.deps;
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.dataDir === 'memory' ? 'embedded database in memory' : `embedded database in ${config.dataDir}`;
  const lines = [
    `QualifyBase reference server listening on ${running.url} (${where}, ready in ${Date.now() - started} ms)`,
    `  API:      ${running.url}/api/v1   OpenAPI: ${running.url}/api/v1/openapi.json`,
  ];
  if (config.devTools) lines.push(`  Dev tools on: POST ${running.url}/dev/clinics (set NODE_ENV=production to turn them off)`);
  if (running.demo) {
    const { clinic, email, password } = running.demo;
    lines.push(
      '',
      `First start: created the demo clinic "${clinic.clinic.name}". These are shown once; keep them.`,
      `  API key:          ${clinic.api_key}`,
      `  Dashboard login:  ${email} / ${password}   (${running.url}/dashboard)`,
      `  Try it:           export QB_HOST=${running.url} QB_KEY=${clinic.api_key}`,
      `                    curl -s "$QB_HOST/api/v1/me" -H "Authorization: Bearer $QB_KEY"`,
    );
  }
  // One write, so whoever reads the banner sees all of it at once.
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`Could not start the server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
