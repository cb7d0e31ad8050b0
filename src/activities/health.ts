import type { Knex } from 'knex';

export interface DatabaseCheck {
  /** The database server's clock when the activity ran, proving the round trip happened. */
  databaseTime: string;
  workerPid: number;
}

export function createHealthActivities(deps: { knex: Knex }) {
  return {
    async checkDatabase(): Promise<DatabaseCheck> {
      const result = await deps.knex.raw<{ rows: { now: Date }[] }>('select now() as now');
      return { databaseTime: result.rows[0]!.now.toISOString(), workerPid: process.pid };
    },
  };
}
