import type { Knex } from 'knex';
import { createHealthActivities } from './health';

/** What activities need from the outside world; tests inject their own. */
export interface ActivityDependencies {
  knex: Knex;
}

/** Builds every activity with its dependencies (Temporal's dependency-injection pattern). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
