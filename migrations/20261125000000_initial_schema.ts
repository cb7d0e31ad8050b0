import type { Knex } from 'knex';
// Timestamps have millisecond precision, like JavaScript dates, so keyset cursors round-trip exactly.

/**
 * The initial data model. Every tenant-owned table carries organization_id with a foreign key and an
 * index that starts with it, because every query is scoped by organization.
 */

const ROLES = ['owner', 'admin', 'agent'];
const PLANS = ['free', 'pro', 'enterprise'];

function timestamps(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
}

function id(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
}

function tenant(t: Knex.CreateTableBuilder): void {
  t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organizations', (t) => {
    id(t, knex);
    t.text('name').notNullable();
    t.text('slug').notNullable().unique();
    t.enu('plan', PLANS, { useNative: true, enumName: 'plan' }).notNullable().defaultTo('free');
    t.text('widget_key').notNullable().unique();
    // Bumped whenever the set of searchable chunks changes; vector indexes compare it to know they are stale.
    t.bigInteger('knowledge_revision').notNullable().defaultTo(0);
    timestamps(t, knex);
  });

  await knex.schema.createTable('organization_settings', (t) => {
    t.uuid('organization_id').primary().references('id').inTable('organizations').onDelete('CASCADE');
    t.jsonb('widget').notNullable().defaultTo('{}');
    t.text('ai_persona').notNullable().defaultTo('');
    t.text('ai_instructions').notNullable().defaultTo('');
    t.double('confidence_threshold').notNullable().defaultTo(0.35);
    t.jsonb('escalation_rules').notNullable().defaultTo('{}');
    t.jsonb('allowed_origins').notNullable().defaultTo('[]');
    timestamps(t, knex);
  });

  await knex.schema.createTable('users', (t) => {
    id(t, knex);
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('password_hash').notNullable();
    t.timestamp('email_verified_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
  });
  // Emails are unique regardless of case.
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))');

  await knex.schema.createTable('memberships', (t) => {
    id(t, knex);
    tenant(t);
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.enu('role', ROLES, { useNative: true, enumName: 'membership_role' }).notNullable();
    t.boolean('available').notNullable().defaultTo(true);
    timestamps(t, knex);
    t.unique(['organization_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('invitations', (t) => {
    id(t, knex);
    tenant(t);
    t.text('email').notNullable();
    t.specificType('role', 'membership_role').notNullable();
    t.text('token_hash').notNullable().unique();
    t.uuid('invited_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('accepted_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'email']);
  });

  await knex.schema.createTable('api_keys', (t) => {
    id(t, knex);
    tenant(t);
    t.text('name').notNullable();
    t.text('prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.uuid('created_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('last_used_at', { useTz: true, precision: 3 });
    t.timestamp('revoked_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'created_at']);
  });

  await knex.schema.createTable('refresh_tokens', (t) => {
    id(t, knex);
    tenant(t);
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('family_id').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('used_at', { useTz: true, precision: 3 });
    t.timestamp('revoked_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'family_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('user_tokens', (t) => {
    id(t, knex);
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.enu('purpose', ['password_reset', 'email_verification'], {
      useNative: true,
      enumName: 'user_token_purpose',
    }).notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('used_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['user_id', 'purpose']);
  });

  await knex.schema.createTable('conversations', (t) => {
    id(t, knex);
    tenant(t);
    t.text('visitor_id').notNullable();
    t.text('visitor_name');
    t.text('visitor_email');
    t.enu('status', ['open', 'escalated', 'closed'], { useNative: true, enumName: 'conversation_status' })
      .notNullable()
      .defaultTo('open');
    // Who answers the visitor: the assistant, or a human agent after a hand-off.
    t.enu('handled_by', ['assistant', 'agent'], { useNative: true, enumName: 'conversation_handler' })
      .notNullable()
      .defaultTo('assistant');
    t.text('summary').notNullable().defaultTo('');
    t.double('sentiment');
    t.smallint('csat_rating');
    t.timestamp('last_message_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'created_at']);
    t.index(['organization_id', 'visitor_id']);
  });

  await knex.schema.createTable('messages', (t) => {
    id(t, knex);
    tenant(t);
    t.uuid('conversation_id').notNullable().references('id').inTable('conversations').onDelete('CASCADE');
    t.enu('role', ['visitor', 'assistant', 'agent', 'system'], {
      useNative: true,
      enumName: 'message_role',
    }).notNullable();
    t.text('content').notNullable();
    // Idempotency key chosen by the sender; a retried send cannot create a second message.
    t.text('client_message_id');
    t.uuid('author_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('reply_to_message_id').references('id').inTable('messages').onDelete('SET NULL');
    t.boolean('internal').notNullable().defaultTo(false);
    t.jsonb('citations').notNullable().defaultTo('[]');
    t.double('sentiment');
    t.jsonb('retrieval_trace');
    t.text('model');
    t.text('prompt_version');
    t.integer('prompt_tokens');
    t.integer('completion_tokens');
    t.integer('latency_ms');
    t.text('outcome');
    timestamps(t, knex);
    t.index(['organization_id', 'conversation_id', 'created_at']);
    t.unique(['conversation_id', 'client_message_id']);
  });
  // One assistant reply per visitor message: a retried chat turn cannot answer twice.
  await knex.raw(
    "CREATE UNIQUE INDEX messages_one_reply_per_message ON messages (reply_to_message_id) WHERE role = 'assistant'",
  );

  await knex.schema.createTable('documents', (t) => {
    id(t, knex);
    tenant(t);
    t.text('title').notNullable();
    t.enu('source_type', ['upload', 'url', 'sitemap'], {
      useNative: true,
      enumName: 'document_source_type',
    }).notNullable();
    t.text('source_url');
    t.text('mime_type');
    // Pages found through a sitemap are documents of their own, children of the sitemap document.
    t.uuid('parent_document_id').references('id').inTable('documents').onDelete('CASCADE');
    t.text('content_hash');
    t.integer('version').notNullable().defaultTo(0);
    t.enu('status', ['pending', 'processing', 'ready', 'failed'], {
      useNative: true,
      enumName: 'document_status',
    })
      .notNullable()
      .defaultTo('pending');
    t.text('error');
    t.jsonb('progress').notNullable().defaultTo('{}');
    t.timestamp('last_synced_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'created_at']);
    t.index(['parent_document_id']);
  });
  // A sitemap lists each page once.
  await knex.raw(
    'CREATE UNIQUE INDEX documents_one_page_per_sitemap ON documents (parent_document_id, source_url) WHERE parent_document_id IS NOT NULL',
  );

  await knex.schema.createTable('document_files', (t) => {
    t.uuid('document_id').primary().references('id').inTable('documents').onDelete('CASCADE');
    tenant(t);
    t.text('filename').notNullable();
    t.integer('size_bytes').notNullable();
    t.binary('content').notNullable();
    timestamps(t, knex);
    t.index(['organization_id']);
  });

  await knex.schema.createTable('document_chunks', (t) => {
    // A bigint id doubles as the FAISS label, so search hits map straight back to rows.
    t.bigIncrements('id').primary();
    tenant(t);
    t.uuid('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.integer('document_version').notNullable();
    t.integer('position').notNullable();
    t.text('text').notNullable();
    t.integer('token_count').notNullable();
    // Little-endian float32 vector: the source of truth from which the tenant's FAISS index is rebuilt.
    // Null between chunking and embedding; a version goes live only once every chunk has one.
    t.binary('embedding');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['document_id', 'document_version', 'position']);
    t.index(['organization_id', 'id']);
  });

  await knex.schema.createTable('tickets', (t) => {
    id(t, knex);
    tenant(t);
    t.uuid('conversation_id').notNullable().references('id').inTable('conversations').onDelete('CASCADE');
    t.integer('number').notNullable();
    t.enu('status', ['open', 'assigned', 'pending', 'resolved', 'closed'], {
      useNative: true,
      enumName: 'ticket_status',
    })
      .notNullable()
      .defaultTo('open');
    t.enu('priority', ['low', 'normal', 'high', 'urgent'], { useNative: true, enumName: 'ticket_priority' })
      .notNullable()
      .defaultTo('normal');
    t.text('reason').notNullable();
    t.text('summary').notNullable().defaultTo('');
    t.uuid('assignee_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('first_response_due_at', { useTz: true, precision: 3 });
    t.timestamp('resolution_due_at', { useTz: true, precision: 3 });
    t.timestamp('first_response_at', { useTz: true, precision: 3 });
    t.timestamp('resolved_at', { useTz: true, precision: 3 });
    t.timestamp('closed_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.unique(['organization_id', 'number']);
    t.index(['organization_id', 'status', 'created_at']);
    t.index(['conversation_id']);
  });
  // At most one ticket per conversation that is not closed: escalation is idempotent.
  await knex.raw(
    "CREATE UNIQUE INDEX tickets_one_active_per_conversation ON tickets (conversation_id) WHERE status <> 'closed'",
  );

  await knex.schema.createTable('ticket_events', (t) => {
    t.bigIncrements('id').primary();
    tenant(t);
    t.uuid('ticket_id').notNullable().references('id').inTable('tickets').onDelete('CASCADE');
    t.text('type').notNullable();
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'ticket_id', 'id']);
  });

  await knex.schema.createTable('subscriptions', (t) => {
    id(t, knex);
    t.uuid('organization_id')
      .notNullable()
      .unique()
      .references('id')
      .inTable('organizations')
      .onDelete('CASCADE');
    t.specificType('plan', 'plan').notNullable().defaultTo('free');
    t.enu('status', ['free', 'trialing', 'active', 'past_due', 'canceled'], {
      useNative: true,
      enumName: 'subscription_status',
    })
      .notNullable()
      .defaultTo('free');
    t.text('stripe_customer_id').unique();
    t.text('stripe_subscription_id').unique();
    t.timestamp('current_period_start', { useTz: true, precision: 3 });
    t.timestamp('current_period_end', { useTz: true, precision: 3 });
    t.boolean('cancel_at_period_end').notNullable().defaultTo(false);
    t.timestamp('grace_until', { useTz: true, precision: 3 });
    timestamps(t, knex);
  });

  await knex.schema.createTable('usage_events', (t) => {
    t.bigIncrements('id').primary();
    tenant(t);
    t.text('metric').notNullable();
    // The thing counted (a message id): counting the same thing twice is a no-op.
    t.text('subject_id').notNullable();
    t.integer('quantity').notNullable().defaultTo(1);
    t.date('period_start').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['organization_id', 'metric', 'subject_id']);
    t.index(['organization_id', 'period_start']);
  });

  await knex.schema.createTable('usage_counters', (t) => {
    tenant(t);
    t.text('metric').notNullable();
    t.date('period_start').notNullable();
    t.bigInteger('quantity').notNullable().defaultTo(0);
    t.primary(['organization_id', 'metric', 'period_start']);
  });

  await knex.schema.createTable('webhook_events', (t) => {
    t.text('id').primary();
    t.text('provider').notNullable();
    t.text('type').notNullable();
    t.uuid('organization_id').references('id').inTable('organizations').onDelete('SET NULL');
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true, precision: 3 });
    t.index(['organization_id']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    tenant(t);
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('actor_api_key_id').references('id').inTable('api_keys').onDelete('SET NULL');
    t.text('action').notNullable();
    t.text('target_type');
    t.text('target_id');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.text('ip');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'created_at']);
  });
}

const TABLES_IN_DROP_ORDER = [
  'audit_log',
  'webhook_events',
  'usage_counters',
  'usage_events',
  'subscriptions',
  'ticket_events',
  'tickets',
  'document_chunks',
  'document_files',
  'documents',
  'messages',
  'conversations',
  'user_tokens',
  'refresh_tokens',
  'api_keys',
  'invitations',
  'memberships',
  'users',
  'organization_settings',
  'organizations',
];

const ENUMS = [
  'subscription_status',
  'ticket_priority',
  'ticket_status',
  'document_status',
  'document_source_type',
  'message_role',
  'conversation_handler',
  'conversation_status',
  'user_token_purpose',
  'membership_role',
  'plan',
];

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES_IN_DROP_ORDER) await knex.schema.dropTable(table);
  for (const type of ENUMS) await knex.raw('DROP TYPE ?? ', [type]);
}
