/**
 * `npm run worker`: webhook delivery in a process of its own, next to API servers started with
 * QB_WORKER=off. PostgreSQL only: an embedded database belongs to one process.
 */
import pino from 'pino';
import { assertDevSwitchesAllowed, loadConfig } from './config';
import { connectDatabase } from './db/connect';
import { stopOnSignals } from './shutdown';
import { startWebhookDelivery } from './webhooks/delivery';

async function main() {
  const config = loadConfig();
  assertDevSwitchesAllowed(config);
  if (!config.databaseUrl) {
    console.error(
      'npm run worker needs DATABASE_URL (PostgreSQL). The embedded database belongs to the server process, which delivers webhooks itself unless QB_WORKER=off.',
    );
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel });
  const database = await connectDatabase({ databaseUrl: config.databaseUrl });
  const delivery = await startWebhookDelivery({ database, config, logger, notifyEvents: () => undefined });
  logger.info('webhook worker started');
  // Graceful: the queue stops fetching jobs and waits for the attempts in flight, then exit 0.
  stopOnSignals({
    finishing: 'in-flight webhook attempts',
    timeoutMs: config.shutdownTimeoutMs + 15_000,
    close: async () => {
      await delivery.stop();
      await database.close();
    },
  });
}

main().catch((error) => {
  console.error(`Could not start the worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
