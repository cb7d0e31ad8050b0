import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { bindModels } from '../db/bind';
import { createLogger } from '../lib/logger';
import { watchDependency } from '../lib/dependency-watch';
import { TemporalGateway } from '../temporal/client';
import { flushSentry, initSentry } from '../observability/sentry';
import { startTracing } from '../observability/tracing';
import { createHttpServer } from './http-server';
import { createApiServices } from './services';

/** The API process: validates configuration, wires services, listens, and shuts down cleanly. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'parley-api' });
  if (config.auth.ephemeralJwtSecret) {
    logger.warn(
      'JWT_SECRET is unset: tokens are signed with a random key of this process and end when it stops; set JWT_SECRET (bash scripts/up.sh keeps one in .data/secrets.env)',
    );
  }
  const tracing = startTracing({
    serviceName: 'parley-api',
    otlpEndpoint: config.observability.otlpEndpoint,
  });
  await initSentry({
    dsn: config.observability.sentryDsn,
    environment: config.env,
    serverName: 'parley-api',
  });
  const knex = createKnex({ url: config.database.url, poolMax: config.database.poolMax });
  bindModels(knex);
  const temporal = new TemporalGateway(config.temporal, logger);
  const services = createApiServices({ config, logger, knex, temporal });
  const http = await createHttpServer(services);
  const { server } = http;
  server.listen(config.http.port, config.http.host, () => {
    logger.info({ url: config.http.publicUrl, port: config.http.port }, 'API listening');
  });
  const stopWatching = watchDependency(logger, 'PostgreSQL', () => knex.raw('select 1'));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopWatching();
    void http
      .close()
      .then(() => Promise.allSettled([knex.destroy(), temporal.close(), tracing.shutdown(), flushSentry()]))
      .then(() => process.exit(0));
    // Do not hang forever on a stuck connection.
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
