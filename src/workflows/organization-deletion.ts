import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DELETED_TABLES,
  organizationDeletionProgressQuery,
  type OrganizationDeletionInput,
  type OrganizationDeletionProgress,
} from './contracts';

/**
 * Deletes an organization (id `delete-organization-<deletionId>`), step by step, each step idempotent
 * so a retried activity, a worker restart or a repeated request finishes the job:
 * 1. stop the organization's running workflows (subscription, tickets, ingestions, deliveries);
 * 2. cancel its Stripe subscription through the billing activities the subscription workflow uses;
 * 3. empty its tables a batch at a time (progress in the query below);
 * 4. stop what started meanwhile, then delete the organization's row (the rest cascades) and the
 *    accounts of members who belong to no other organization;
 * 5. drop its search indexes.
 */

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const BATCH_SIZE = 1_000;
const BATCHES_PER_CALL = 20;

export async function deleteOrganization(
  input: OrganizationDeletionInput & { batchSize?: number; batchesPerCall?: number },
): Promise<OrganizationDeletionProgress> {
  const { organizationId, deletionId } = input;
  const progress: OrganizationDeletionProgress = {
    stage: 'stopping_workflows',
    table: null,
    tablesDone: 0,
    tablesTotal: DELETED_TABLES.length,
    rowsDeleted: 0,
    workflowsStopped: 0,
    canceledSubscriptionId: null,
  };
  setHandler(organizationDeletionProgressQuery, () => progress);

  progress.workflowsStopped += await steps.stopOrganizationWorkflows({ organizationId, deletionId });

  progress.stage = 'canceling_subscription';
  const billing = await steps.loadBillingState({ organizationId });
  if (billing.stripeCustomerId) {
    const current = await steps.fetchCurrentSubscription({ customerId: billing.stripeCustomerId });
    if (current && current.status !== 'canceled' && current.status !== 'incomplete_expired') {
      await steps.cancelStripeSubscription({ subscriptionId: current.id });
      progress.canceledSubscriptionId = current.id;
    }
  }

  progress.stage = 'deleting_rows';
  for (const table of DELETED_TABLES) {
    progress.table = table;
    for (;;) {
      const { deleted, done } = await steps.deleteOrganizationRows({
        organizationId,
        table,
        batchSize: input.batchSize ?? BATCH_SIZE,
        batchesPerCall: input.batchesPerCall ?? BATCHES_PER_CALL,
      });
      progress.rowsDeleted += deleted;
      if (done) break;
    }
    progress.tablesDone++;
  }
  progress.table = null;
  progress.workflowsStopped += await steps.stopOrganizationWorkflows({ organizationId, deletionId });
  await steps.deleteOrganizationRecord({ organizationId });

  progress.stage = 'deleting_indexes';
  await steps.dropOrganizationIndexes({ organizationId });

  progress.stage = 'deleted';
  return progress;
}
