import type { Knex } from 'knex';

/**
 * A document's visibility. `public`: the widget links its citations to the document (its source URL,
 * or the read-only article page Parley serves); `internal`: answers use it and cite it by title only.
 * Existing documents default to `public` because that is how they already behaved — URL and sitemap
 * sources were linked from every citation — so no answer loses its link when this lands; a sitemap's
 * pages take their sitemap's visibility.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.enu('visibility', ['public', 'internal'], { useNative: true, enumName: 'document_visibility' })
      .notNullable()
      .defaultTo('public');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.dropColumn('visibility');
  });
  await knex.raw('drop type document_visibility');
}
