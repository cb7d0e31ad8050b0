import type { Knex } from 'knex';

/**
 * Every email Parley sends is a delivery: one row per message, sent by a workflow (`email-<id>`) that
 * retries while the mail server is unreachable. The row says whether the server accepted it, so the
 * console tells people "sent" only once it was, and plainly when it could not be.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('email_deliveries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('recipient').notNullable();
    t.uuid('user_id').references('id').inTable('users').onDelete('CASCADE');
    t.uuid('invitation_id').references('id').inTable('invitations').onDelete('CASCADE');
    t.text('status').notNullable().defaultTo('sending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('sent_at', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'user_id', 'kind', 'created_at']);
    t.index(['organization_id', 'invitation_id']);
  });
  await knex.raw(
    `alter table email_deliveries add constraint email_deliveries_kind_check
       check (kind in ('email_verification', 'password_reset', 'invitation'))`,
  );
  await knex.raw(
    `alter table email_deliveries add constraint email_deliveries_status_check
       check (status in ('sending', 'sent', 'failed'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_deliveries');
}
