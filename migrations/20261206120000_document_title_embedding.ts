import type { Knex } from 'knex';

/**
 * A document's title has a vector of its own: retrieval ranks pages by how close the question is to
 * their title as well as to their best passages (a question names the topic a page is titled by more
 * often than its words). Set when a version goes live; documents ingested before this have none
 * until `npm run reindex`, and rank by their passages alone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.binary('title_embedding');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.dropColumn('title_embedding');
  });
}
