import type { Knex } from 'knex';

/**
 * The orphaned-turn sweeper (workflows/sweeper.ts) looks every minute for recent visitor messages
 * across organizations; this partial index keeps that a short range scan however long the history.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index messages_visitor_created_at_index on messages (created_at) where role = 'visitor'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index messages_visitor_created_at_index');
}
