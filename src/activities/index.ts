import type { Knex } from 'knex';
import type { DomainMetrics } from '../observability/metrics';
import { createChatActivities, type ChatDependencies } from './chat';
import { createEscalationActivities } from './escalation';
import { createHealthActivities } from './health';
import { createIngestionActivities, type IngestionDependencies } from './ingestion';

/** What activities need from the outside world; tests inject their own. */
export type ActivityDependencies = { knex: Knex; metrics: DomainMetrics } & IngestionDependencies &
  ChatDependencies;

/** Builds every activity with its dependencies (Temporal's dependency-injection pattern). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createHealthActivities(deps),
    ...createIngestionActivities(deps),
    ...createChatActivities(deps),
    ...createEscalationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
