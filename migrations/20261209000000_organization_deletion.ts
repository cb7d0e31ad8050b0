import type { Knex } from 'knex';

/**
 * Deleting an organization: when its owner asked, and the id of the deletion (the status URL's key,
 * and the deletion workflow's business id), so a repeated request reports the same deletion.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.uuid('deletion_id').unique();
    t.timestamp('deletion_requested_at', { useTz: true, precision: 3 });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('deletion_id');
    t.dropColumn('deletion_requested_at');
  });
}
