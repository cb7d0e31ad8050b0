import type { Knex } from 'knex';

/**
 * Members are told when a visitor needs them: one notification per event and recipient (the unique
 * key makes a retried activity a no-op), read in the console, and emailed through an email delivery
 * keyed by the notification. Each member chooses, per organization, which events email them and
 * whether the console shows a browser notification and plays a sound.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('ticket_id').notNullable().references('id').inTable('tickets').onDelete('CASCADE');
    t.text('kind').notNullable();
    /** What happened, e.g. `escalation:<messageId>` or `sla_breach:<ticketId>:first_response`. */
    t.text('event_key').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.timestamp('read_at', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['organization_id', 'event_key', 'user_id']);
    t.index(['organization_id', 'user_id', 'created_at']);
  });
  await knex.raw(
    `alter table notifications add constraint notifications_kind_check
       check (kind in ('escalation', 'visitor_message', 'sla_breach'))`,
  );
  await knex.schema.alterTable('memberships', (t) => {
    t.boolean('email_on_escalation').notNullable().defaultTo(true);
    t.boolean('email_on_visitor_message').notNullable().defaultTo(true);
    t.boolean('email_on_sla_breach').notNullable().defaultTo(true);
    t.boolean('browser_notifications').notNullable().defaultTo(false);
    t.boolean('notification_sound').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('email_deliveries', (t) => {
    t.uuid('notification_id').unique().references('id').inTable('notifications').onDelete('CASCADE');
  });
  await knex.raw('alter table email_deliveries drop constraint email_deliveries_kind_check');
  await knex.raw(
    `alter table email_deliveries add constraint email_deliveries_kind_check
       check (kind in ('email_verification', 'password_reset', 'invitation', 'notification'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex('email_deliveries').where('kind', 'notification').delete();
  await knex.raw('alter table email_deliveries drop constraint email_deliveries_kind_check');
  await knex.raw(
    `alter table email_deliveries add constraint email_deliveries_kind_check
       check (kind in ('email_verification', 'password_reset', 'invitation'))`,
  );
  await knex.schema.alterTable('email_deliveries', (t) => {
    t.dropColumn('notification_id');
  });
  await knex.schema.alterTable('memberships', (t) => {
    t.dropColumn('email_on_escalation');
    t.dropColumn('email_on_visitor_message');
    t.dropColumn('email_on_sla_breach');
    t.dropColumn('browser_notifications');
    t.dropColumn('notification_sound');
  });
  await knex.schema.dropTable('notifications');
}
