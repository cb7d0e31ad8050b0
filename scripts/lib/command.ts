import type { Knex } from 'knex';
import { loadConfigOrExit, type Config } from '../../src/config';
import { bindModels } from '../../src/db/bind';
import { createKnex } from '../../src/db/knex';
import { createLogger } from '../../src/lib/logger';
import { TemporalGateway } from '../../src/temporal/client';

export interface CommandConnections {
  config: Config;
  knex: Knex;
  temporal: TemporalGateway;
}

/**
 * Runs a one-off command (`npm run seed`, `npm run reindex`) with the app's configuration, database
 * and Temporal connections, closes them however it ends, and exits 1 with the error when it fails.
 */
export function runCommand(name: string, work: (connections: CommandConnections) => Promise<void>): void {
  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: 2 });
  bindModels(knex);
  const temporal = new TemporalGateway(config.temporal, createLogger({ level: 'warn', name }));
  work({ config, knex, temporal })
    .finally(() => Promise.allSettled([temporal.close(), knex.destroy()]))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
