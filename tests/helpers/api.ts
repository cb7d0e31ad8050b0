import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Knex } from 'knex';
import { createApp } from '../../src/api/app';
import { Readiness } from '../../src/api/readiness';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { TemporalGateway } from '../../src/temporal/client';

export interface TestApi {
  baseUrl: string;
  config: Config;
  temporal: TemporalGateway;
}

/** The real app on an ephemeral port, with real PostgreSQL and Temporal connections. */
export function useTestApi(getKnex: () => Knex, overrides: { temporalAddress?: string } = {}): () => TestApi {
  let server: Server | undefined;
  let api: TestApi | undefined;

  beforeAll(async () => {
    const base = loadConfig();
    const config: Config = {
      ...base,
      temporal: { ...base.temporal, address: overrides.temporalAddress ?? base.temporal.address },
    };
    const logger = createLogger({ level: config.logLevel, name: 'parley-api-test' });
    const knex = getKnex();
    const temporal = new TemporalGateway(config.temporal, logger);
    const app = createApp({ config, logger, knex, temporal, readiness: new Readiness(knex, temporal) });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    api = { baseUrl: `http://127.0.0.1:${port}`, config, temporal };
  });

  afterAll(async () => {
    await api?.temporal.close();
    // fetch keeps connections alive; drop them so the server (and jest) can exit at once.
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  return () => {
    if (!api) throw new Error('useTestApi: available inside tests only');
    return api;
  };
}
