import { loadConfigOrExit } from '../src/config';
import { bindModels } from '../src/db/bind';
import { createKnex } from '../src/db/knex';
import { createLogger } from '../src/lib/logger';
import { DocumentService } from '../src/services/documents';
import { TemporalGateway } from '../src/temporal/client';

/**
 * `npm run reindex [-- <organization id> …]`: re-syncs every document, of every organization or of
 * the ones named, through the worker. Run it after changing CHUNK_SIZE or CHUNK_OVERLAP: each
 * document is cut and embedded again; documents indexed under the current settings are skipped.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: 2 });
  bindModels(knex);
  const temporal = new TemporalGateway(config.temporal, createLogger({ level: 'warn', name: 'reindex' }));
  try {
    const started = await new DocumentService({ knex, temporal, config }).resyncAll(process.argv.slice(2));
    console.log(`re-sync started for ${started} documents; follow them in the console or the Temporal UI`);
  } finally {
    await temporal.close();
    await knex.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
