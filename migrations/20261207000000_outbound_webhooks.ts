import type { Knex } from 'knex';

/**
 * Outbound webhooks (#19): an organization's endpoints, the events it emitted for them, one delivery
 * per (event, endpoint) — a replay is another delivery of the same event — and each delivery's
 * attempts, the log an admin reads. The event row is written in the transaction of the change it
 * announces; a dispatcher starts each delivery's workflow from the rows not yet dispatched.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('url').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.specificType('event_types', 'text[]').notNullable();
    // The signing secret in Standard Webhooks' `whsec_` form; the worker needs it to sign.
    t.text('secret').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.text('disabled_reason');
    // The current run of failed attempts (reset by a success); a long run disables the endpoint.
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('failing_since', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('type').notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.uuid('endpoint_id').notNullable().references('id').inTable('webhook_endpoints').onDelete('CASCADE');
    t.uuid('message_id').notNullable().references('id').inTable('webhook_messages').onDelete('CASCADE');
    t.enu('status', ['pending', 'retrying', 'succeeded', 'failed'], {
      useNative: true,
      enumName: 'webhook_delivery_status',
    })
      .notNullable()
      .defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_response_status');
    t.timestamp('next_attempt_at', { useTz: true, precision: 3 });
    t.uuid('replay_of').references('id').inTable('webhook_deliveries').onDelete('SET NULL');
    // When the dispatcher started its workflow; null while it waits for one.
    t.timestamp('dispatched_at', { useTz: true, precision: 3 });
    t.timestamp('completed_at', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'endpoint_id', 'created_at']);
    t.index(['message_id']);
  });
  await knex.raw(
    'create index webhook_deliveries_undispatched_index on webhook_deliveries (created_at) where dispatched_at is null',
  );

  await knex.schema.createTable('webhook_attempts', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.uuid('delivery_id').notNullable().references('id').inTable('webhook_deliveries').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.text('url').notNullable();
    t.jsonb('request_headers').notNullable();
    t.text('request_body').notNullable();
    t.integer('response_status');
    t.text('response_body').notNullable().defaultTo('');
    t.text('error');
    t.integer('duration_ms').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['delivery_id', 'attempt']);
    t.index(['organization_id', 'delivery_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_attempts');
  await knex.schema.dropTable('webhook_deliveries');
  await knex.raw('drop type webhook_delivery_status');
  await knex.schema.dropTable('webhook_messages');
  await knex.schema.dropTable('webhook_endpoints');
}
