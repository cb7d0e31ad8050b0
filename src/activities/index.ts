import type { Knex } from 'knex';
import type { DomainMetrics } from '../observability/metrics';
import { createBillingActivities, type BillingDependencies } from './billing';
import { createChatActivities, type ChatDependencies } from './chat';
import { createEmailActivities, type EmailDependencies } from './email';
import { createEscalationActivities } from './escalation';
import { createHealthActivities } from './health';
import { createIngestionActivities, type IngestionDependencies } from './ingestion';
import { createNotificationActivities, type NotificationDependencies } from './notifications';
import { createTestRunActivities, type TestRunDependencies } from './test-runs';
import {
  createOrganizationDeletionActivities,
  type OrganizationDeletionDependencies,
} from './organization-deletion';
import { createTicketActivities, type TicketDependencies } from './tickets';
import { createWebhookActivities, type WebhookDependencies } from './webhooks';

/** What activities need from the outside world; tests inject their own. */
export type ActivityDependencies = { knex: Knex; metrics: DomainMetrics } & IngestionDependencies &
  ChatDependencies &
  TicketDependencies &
  EmailDependencies &
  NotificationDependencies &
  BillingDependencies &
  WebhookDependencies &
  TestRunDependencies &
  OrganizationDeletionDependencies;

/** Builds every activity with its dependencies (Temporal's dependency-injection pattern). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createHealthActivities(deps),
    ...createIngestionActivities(deps),
    ...createChatActivities(deps),
    ...createEscalationActivities(deps),
    ...createTicketActivities(deps),
    ...createBillingActivities(deps),
    ...createEmailActivities(deps),
    ...createWebhookActivities(deps),
    ...createNotificationActivities(deps),
    ...createTestRunActivities(deps),
    ...createOrganizationDeletionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
