import type { Knex } from 'knex';

/**
 * The getting-started checklist on a new organization's overview: when its admins dismissed it, and
 * when its widget first started a session on a site other than Parley's own (the widget is installed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.timestamp('onboarding_dismissed_at', { useTz: true, precision: 3 });
    t.timestamp('widget_installed_at', { useTz: true, precision: 3 });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('onboarding_dismissed_at');
    t.dropColumn('widget_installed_at');
  });
}
