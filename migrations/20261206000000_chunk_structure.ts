import type { Knex } from 'knex';

/**
 * Passages know where they are in their document: the heading path above them (embedded and indexed
 * with them, shown and cited with them), the anchor of their section (a citation links to the place)
 * and the section they belong to (an answer reads the whole section around the passage it matched).
 * Passages cut before this have no structure; `npm run reindex` cuts them again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('document_chunks', (t) => {
    t.specificType('headings', 'text[]').notNullable().defaultTo('{}');
    t.text('anchor');
    t.integer('section').notNullable().defaultTo(0);
    t.index(['document_id', 'document_version', 'section']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('document_chunks', (t) => {
    t.dropIndex(['document_id', 'document_version', 'section']);
    t.dropColumns('headings', 'anchor', 'section');
  });
}
