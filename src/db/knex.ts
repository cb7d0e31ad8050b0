import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import { projectRoot } from '../lib/paths';

/**
 * Migrations run from TypeScript sources under tsx and jest, and from compiled JavaScript in dist/.
 * They are recorded without their extension, so a database migrated by one runs on with the other.
 */
const compiled = path.extname(__filename) === '.js';
const extension = compiled ? '.js' : '.ts';
const directory = compiled
  ? path.join(projectRoot, 'dist', 'migrations')
  : path.join(projectRoot, 'migrations');

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () =>
    Promise.resolve(
      fs
        .readdirSync(directory)
        .filter((file) => file.endsWith(extension) && !file.endsWith('.d.ts'))
        .map((file) => path.basename(file, extension))
        .sort(),
    ),
  getMigrationName: (name) => name,
  getMigration: (name) => import(path.join(directory, name + extension)) as Promise<Knex.Migration>,
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

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
