import { DocumentService } from '../src/services/documents';
import { runCommand } from './lib/command';

/**
 * `npm run reindex [-- <organization id> …]`: re-syncs every document, of every organization or of
 * the ones named, through the worker. Run it after changing CHUNK_SIZE or the embedding model, and
 * after an upgrade that changes the chunker: each document is cut and embedded again; documents
 * indexed under the current settings are skipped (a title without a vector still gets one).
 */
runCommand('reindex', async (connections) => {
  const started = await new DocumentService(connections).resyncAll(process.argv.slice(2));
  console.log(`re-sync started for ${started} documents; follow them in the console or the Temporal UI`);
});
