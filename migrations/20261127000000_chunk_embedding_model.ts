import type { Knex } from 'knex';
import { loadConfig } from '../src/config';

/**
 * Each vector records the model that made it, so vectors of two models never share an index and a
 * change of EMBEDDING_MODEL (or provider) is re-embedded by `npm run reindex`. The vectors stored so
 * far are taken to be the configured model's: deploys migrate with the workers' configuration.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('document_chunks', (t) => {
    t.text('embedding_model');
  });
  await knex('document_chunks')
    .whereNotNull('embedding')
    .update({ embedding_model: loadConfig().embeddings.modelId });
  await knex.raw(
    `alter table document_chunks add constraint document_chunks_embedding_model_check
       check ((embedding is null) = (embedding_model is null))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('document_chunks', (t) => {
    t.dropChecks('document_chunks_embedding_model_check');
    t.dropColumn('embedding_model');
  });
}
