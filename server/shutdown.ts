/**
 * Graceful stop on SIGINT/SIGTERM for `npm start` and `npm run worker`: `close` runs once (the
 * server stops accepting and finishes in-flight requests and delivery attempts), then the process
 * exits 0; if that takes longer than `timeoutMs`, it exits 1.
 */
export function stopOnSignals({ finishing, timeoutMs, close }: { finishing: string; timeoutMs: number; close: () => Promise<void> }): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down (finishing ${finishing})`);
    const deadline = setTimeout(() => {
      console.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    await close();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
