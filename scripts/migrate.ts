import { loadConfigOrExit } from '../src/config';
import { createKnex } from '../src/db/knex';

/** `migrate latest | rollback | down-all`: applies or reverts the Knex migrations on DATABASE_URL. */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'latest';
  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: 1 });
  try {
    if (command === 'latest') {
      const [batch, names] = (await knex.migrate.latest()) as [number, string[]];
      console.log(names.length ? `applied batch ${batch}: ${names.join(', ')}` : 'database is up to date');
    } else if (command === 'rollback') {
      const [batch, names] = (await knex.migrate.rollback()) as [number, string[]];
      console.log(names.length ? `rolled back batch ${batch}: ${names.join(', ')}` : 'nothing to roll back');
    } else if (command === 'down-all') {
      await knex.migrate.rollback(undefined, true);
      console.log('rolled back every migration');
    } else {
      throw new Error(`unknown command "${command}" (use latest, rollback or down-all)`);
    }
  } finally {
    await knex.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
