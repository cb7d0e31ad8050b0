import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import { projectRoot } from '../lib/paths';

/** Migrations run from TypeScript sources under tsx/jest and from compiled JavaScript in dist/. */
const compiled = path.extname(__filename) === '.js';

export const migrationConfig: Knex.MigratorConfig = {
  directory: compiled ? path.join(projectRoot, 'dist', 'migrations') : path.join(projectRoot, 'migrations'),
  loadExtensions: [compiled ? '.js' : '.ts'],
  tableName: 'knex_migrations',
};

export function createKnex(options: { url: string; poolMax?: number }): Knex {
  return knexFactory({
    client: 'pg',
    connection: options.url,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Columns are snake_case in PostgreSQL and camelCase in code.
    ...knexSnakeCaseMappers(),
    migrations: migrationConfig,
  });
}
