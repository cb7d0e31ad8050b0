import type { Knex } from 'knex';

/**
 * Anonymous visitors could spend a tenant's monthly messages in seconds (a new visitor per message):
 * each organization has an hourly budget of visitor messages, which its admins can raise.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organization_settings', (t) => {
    t.integer('anonymous_messages_per_hour').notNullable().defaultTo(300);
  });
  await knex.raw(
    'alter table organization_settings add constraint organization_settings_anonymous_messages_per_hour_check check (anonymous_messages_per_hour between 1 and 100000)',
  );
  // Each widget message counts its organization's visitor messages of the last hour.
  await knex.raw(
    `create index messages_visitor_organization_created_at_index on messages (organization_id, created_at) where role = 'visitor'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index messages_visitor_organization_created_at_index');
  await knex.schema.alterTable('organization_settings', (t) => {
    t.dropColumn('anonymous_messages_per_hour');
  });
}
