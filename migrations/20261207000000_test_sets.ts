import type { Knex } from 'knex';

/**
 * Answer tests (#22): each organization's test sets, their questions with what a right answer must
 * show, and the runs that ask every question through the chat turn's path, with one result per
 * question. A run's id is its Temporal workflow run id; results keep the question as it was asked, so
 * editing or deleting a question later does not rewrite history.
 */

const EXPECTATIONS = ['answer', 'abstain', 'escalate'];

function timestamps(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
}

function tenant(t: Knex.CreateTableBuilder): void {
  t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('test_sets', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    tenant(t);
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    timestamps(t, knex);
    t.unique(['organization_id', 'name']);
    t.index(['organization_id', 'created_at']);
  });

  await knex.schema.createTable('test_questions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    tenant(t);
    t.uuid('test_set_id').notNullable().references('id').inTable('test_sets').onDelete('CASCADE');
    t.text('question').notNullable();
    t.text('expectation').notNullable().checkIn(EXPECTATIONS, 'test_questions_expectation_check');
    // [{ documentId, title }]: no foreign key, so a deleted document is reported rather than forgotten.
    t.jsonb('expected_documents').notNullable().defaultTo('[]');
    t.jsonb('required_phrases').notNullable().defaultTo('[]');
    timestamps(t, knex);
    t.index(['organization_id', 'test_set_id', 'created_at']);
  });

  await knex.schema.createTable('test_runs', (t) => {
    // The workflow's first run id: a retried start or a joined one finds the same row.
    t.uuid('id').primary();
    tenant(t);
    t.uuid('test_set_id').notNullable().references('id').inTable('test_sets').onDelete('CASCADE');
    t.text('workflow_id').notNullable();
    t.text('trigger').notNullable().checkIn(['manual', 'knowledge_change'], 'test_runs_trigger_check');
    t.text('status')
      .notNullable()
      .defaultTo('running')
      .checkIn(['running', 'completed'], 'test_runs_status_check');
    t.integer('question_count').notNullable().defaultTo(0);
    t.integer('passed').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    t.integer('missing_documents').notNullable().defaultTo(0);
    t.timestamp('finished_at', { useTz: true, precision: 3 });
    timestamps(t, knex);
    t.index(['organization_id', 'test_set_id', 'created_at']);
  });

  await knex.schema.createTable('test_results', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    tenant(t);
    t.uuid('test_run_id').notNullable().references('id').inTable('test_runs').onDelete('CASCADE');
    t.uuid('question_id').notNullable();
    t.text('question').notNullable();
    t.text('expectation').notNullable();
    t.text('status')
      .notNullable()
      .checkIn(['passed', 'failed', 'document_missing'], 'test_results_status_check');
    t.jsonb('failures').notNullable().defaultTo('[]');
    // 1-based rank of the first expected document among the retrieved passages' pages; null when none.
    t.integer('expected_rank');
    t.text('outcome').notNullable();
    t.text('reply').notNullable();
    t.jsonb('citations').notNullable().defaultTo('[]');
    t.jsonb('decision_reasons').notNullable().defaultTo('[]');
    t.jsonb('retrieval_trace');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    // A question is answered once per run, however often a retried activity records it.
    t.unique(['test_run_id', 'question_id']);
    t.index(['organization_id', 'test_run_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('test_results');
  await knex.schema.dropTable('test_runs');
  await knex.schema.dropTable('test_questions');
  await knex.schema.dropTable('test_sets');
}
