import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { bindModels } from '../../src/db/bind';
import { createKnex } from '../../src/db/knex';

const beforeClose = new Set<() => Promise<void>>();

/**
 * Runs `stop` before the file's database connections close (jest runs afterAll hooks in the order
 * they were declared, and a worker still finishing turns needs its database until it has stopped).
 */
export function beforeDatabaseCloses(stop: () => Promise<void>): void {
  beforeClose.add(stop);
}

/** A Knex bound to the migrated test database for one test file; destroyed after the file. */
export function useTestDatabase(): () => Knex {
  let knex: Knex | undefined;
  beforeAll(() => {
    knex = createKnex({ url: loadConfig().database.url, poolMax: 5 });
    bindModels(knex);
  });
  afterAll(async () => {
    for (const stop of beforeClose) await stop();
    beforeClose.clear();
    await knex?.destroy();
  }, 180_000);
  return () => {
    if (!knex) throw new Error('useTestDatabase: the database is available inside tests only');
    return knex;
  };
}

/** Creates a database of its own (for tests that change the schema) and drops it afterwards. */
export async function withScratchDatabase<T>(name: string, fn: (url: string) => Promise<T>): Promise<T> {
  const base = loadConfig().database.url;
  const admin = createKnex({ url: base.replace(/\/[^/]*$/, '/postgres'), poolMax: 1 });
  const url = base.replace(/\/[^/]*$/, `/${name}`);
  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
    await admin.raw('CREATE DATABASE ??', [name]);
    return await fn(url);
  } finally {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
    await admin.destroy();
  }
}
