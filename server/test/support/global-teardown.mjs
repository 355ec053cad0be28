export default async function globalTeardown() {
  if (globalThis.__qbPostgres) await globalThis.__qbPostgres.stop();
}
