import type { Knex } from 'knex';

/**
 * The ticket lifecycle: SLA breaches kept on the ticket (a breach fires once, and analytics count
 * them), round-robin assignment (the member who waited longest since their last ticket goes next),
 * and the organization's ticket rules (the quiet period before a resolved ticket closes).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => {
    t.timestamp('first_response_breached_at', { useTz: true, precision: 3 });
    t.timestamp('resolution_breached_at', { useTz: true, precision: 3 });
    t.index(['organization_id', 'assignee_user_id']);
  });
  await knex.schema.alterTable('memberships', (t) => {
    t.timestamp('last_assigned_at', { useTz: true, precision: 3 });
  });
  await knex.schema.alterTable('organization_settings', (t) => {
    t.jsonb('ticket_rules').notNullable().defaultTo('{}');
  });
  await knex.schema.alterTable('ticket_events', (t) => {
    t.index(['organization_id', 'type', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ticket_events', (t) => {
    t.dropIndex(['organization_id', 'type', 'created_at']);
  });
  await knex.schema.alterTable('organization_settings', (t) => t.dropColumn('ticket_rules'));
  await knex.schema.alterTable('memberships', (t) => t.dropColumn('last_assigned_at'));
  await knex.schema.alterTable('tickets', (t) => {
    t.dropIndex(['organization_id', 'assignee_user_id']);
    t.dropColumn('first_response_breached_at');
    t.dropColumn('resolution_breached_at');
  });
}
