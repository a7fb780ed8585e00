/**
 * The runner process: loads the config, starts everything (taking back the sessions of a
 * previous run), and on SIGTERM/SIGINT stops with every session kept (runner.stop), exit 0.
 * Removing everything is `npm run reset`.
 */
import { loadConfig } from './config.ts';
import { createRunner } from './app.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const runner = await createRunner(config).catch((err: unknown) => {
  console.error(`registry-lab runner could not start: ${(err as Error)?.stack ?? err}`);
  process.exit(1);
});

runner.app.log.info({ url: runner.url, runnerId: config.runnerId, reaped: runner.reaped }, `Registry Lab runner listening on ${runner.url}`);
if (config.logLevel === 'silent') console.log(`Registry Lab runner listening on ${runner.url}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    runner.app.log.warn({ signal }, 'second signal: exiting without waiting for cleanup');
    process.exit(1);
  }
  stopping = true;
  runner.app.log.info({ signal }, 'stopping: sessions and their sandboxes are kept for the next start');
  const force = setTimeout(() => {
    runner.app.log.error({}, 'stopping took longer than 60 s; exiting anyway');
    process.exit(1);
  }, 60_000);
  force.unref();
  runner.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      runner.app.log.error({ err: String(err) }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
