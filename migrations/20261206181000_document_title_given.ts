import type { Knex } from 'knex';

/**
 * Whether a document's title was given by whoever added it (then ingestion keeps it) or is a stand-in
 * until the source's own title is read (a file's name, a page's URL). URL documents whose title
 * differs from their URL were given one; uploads before this column kept their file's title.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.boolean('title_given').notNullable().defaultTo(false);
  });
  await knex('documents')
    .whereNot('source_type', 'upload')
    .whereRaw('title is distinct from source_url')
    .update({ title_given: true });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.dropColumn('title_given');
  });
}
