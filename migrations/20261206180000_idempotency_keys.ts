import type { Knex } from 'knex';

/**
 * The answers of creating requests sent with an `Idempotency-Key`, per organization, for 24 hours: the
 * same key and request get the first answer again; the same key with another request is refused.
 * A row without a status is a request still running.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('key', 255).notNullable();
    /** The operation and a SHA-256 of what was sent (body, file, query), to tell another request. */
    t.string('operation', 200).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('status');
    t.jsonb('response');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['organization_id', 'key']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
