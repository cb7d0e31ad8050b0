import type { Knex } from 'knex';

/** The live chat channel: read receipts, attachments sent from the widget. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conversations', (t) => {
    // Read receipts: everything up to these times has been seen by the visitor / by an agent.
    t.timestamp('visitor_read_at', { useTz: true, precision: 3 });
    t.timestamp('agent_read_at', { useTz: true, precision: 3 });
  });
  await knex.schema.alterTable('messages', (t) => {
    t.jsonb('attachments').notNullable().defaultTo('[]');
  });
  await knex.schema.createTable('attachments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.uuid('conversation_id').notNullable().references('id').inTable('conversations').onDelete('CASCADE');
    t.text('filename').notNullable();
    // Detected from the bytes, never taken from the uploader.
    t.text('content_type').notNullable();
    t.integer('size_bytes').notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'conversation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('attachments');
  await knex.schema.alterTable('messages', (t) => t.dropColumn('attachments'));
  await knex.schema.alterTable('conversations', (t) => {
    t.dropColumn('visitor_read_at');
    t.dropColumn('agent_read_at');
  });
}
