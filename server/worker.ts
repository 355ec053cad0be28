/**
 * `npm run worker`: webhook delivery in a process of its own, next to API servers started with
 * QB_WORKER=off. PostgreSQL only: an embedded database belongs to one process.
 */
import pino from 'pino';
import { assertDevSwitchesAllowed, loadConfig } from './config';
import { connectDatabase } from './db/connect';
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
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down (finishing in-flight webhook attempts)`);
    const deadline = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 15_000);
    deadline.unref();
    await delivery.stop();
    await database.close();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`Could not start the worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
