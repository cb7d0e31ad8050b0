import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { Organization } from '../db/models';
import type { Logger } from '../lib/logger';
import { problems } from '../lib/problem';
import type { TemporalGateway } from '../temporal/client';
import {
  DELETED_TABLES,
  organizationDeletionProgressQuery,
  organizationDeletionWorkflowId,
  organizationIdAttribute,
  type OrganizationDeletionInput,
  type OrganizationDeletionProgress,
} from '../workflows/contracts';
import type { deleteOrganization } from '../workflows/organization-deletion';
import { recordAudit, type Actor } from './audit';

/*
 * Deleting an organization: the owner confirms with the organization's name, the API records the
 * request and starts the deletion workflow, and anyone holding the deletion's id (only the owner is
 * given it) reads its progress — after the end too, when the organization and every credential of it
 * are gone.
 */

/** @example {"confirm": "Acme Kites"} */
export interface OrganizationDeletionRequest {
  /**
   * The organization's name, exactly, to confirm that it is to be deleted with all its data.
   * @minLength 1
   * @maxLength 200
   */
  confirm: string;
}

export interface OrganizationDeletionView {
  /** The deletion's id; its status is at `statusUrl`. */
  id: string;
  /** `deleting` while the workflow runs; `deleted` once nothing of the organization is left. */
  status: 'deleting' | 'deleted' | 'failed';
  /** Path of this status resource. */
  statusUrl: string;
  progress: OrganizationDeletionProgress;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const deletionStatusPath = (deletionId: string): string => `/v1/organization-deletions/${deletionId}`;

/** How long a progress query may wait for a worker. */
const QUERY_TIMEOUT_MS = 5_000;

const NOT_STARTED: OrganizationDeletionProgress = {
  stage: 'stopping_workflows',
  table: null,
  tablesDone: 0,
  tablesTotal: DELETED_TABLES.length,
  rowsDeleted: 0,
  workflowsStopped: 0,
  canceledSubscriptionId: null,
};

export class OrganizationDeletionService {
  constructor(
    private readonly deps: { knex: Knex; temporal: TemporalGateway; config: Config; logger: Logger },
  ) {}

  /**
   * Starts the deletion (or finds the one under way: a repeated request gets the same id). The
   * workflow starts inside the transaction that records the request, so a request either stands with
   * its workflow or fails (503 when Temporal is down) leaving the organization as it was.
   */
  async request(actor: Actor, body: OrganizationDeletionRequest): Promise<OrganizationDeletionView> {
    const { organizationId } = actor;
    return this.deps.knex.transaction(async (trx) => {
      const organization = await Organization.query(trx)
        .findById(organizationId)
        .forUpdate()
        .throwIfNotFound();
      if (body.confirm !== organization.name) {
        throw problems.validation(
          [{ field: 'body.confirm', message: "must be the organization's name, exactly" }],
          'Confirm the deletion with the name of the organization.',
        );
      }
      const deletionId = organization.deletionId ?? randomUUID();
      if (!organization.deletionId) {
        await Organization.query(trx)
          .findById(organizationId)
          .patch({ deletionId, deletionRequestedAt: new Date() });
        await recordAudit(
          trx,
          actor,
          'organization.deletion_requested',
          { type: 'organization', id: organizationId },
          { deletionId },
        );
      }
      const client = await this.deps.temporal.getClient();
      const input: OrganizationDeletionInput = { organizationId, deletionId };
      await client.workflow.start<typeof deleteOrganization>('deleteOrganization', {
        workflowId: organizationDeletionWorkflowId(deletionId),
        taskQueue: this.deps.temporal.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: organizationIdAttribute, value: organizationId },
        ]),
      });
      return {
        id: deletionId,
        status: 'deleting',
        statusUrl: deletionStatusPath(deletionId),
        progress: NOT_STARTED,
      };
    });
  }

  /** The deletion's progress, read from its workflow; 404 for an id that names none. */
  async status(deletionId: string): Promise<OrganizationDeletionView> {
    if (!UUID.test(deletionId)) throw problems.notFound('The organization deletion');
    const client = await this.deps.temporal.getClient();
    const handle = client.workflow.getHandle<typeof deleteOrganization>(
      organizationDeletionWorkflowId(deletionId),
    );
    const view = (status: OrganizationDeletionView['status'], progress: OrganizationDeletionProgress) => ({
      id: deletionId,
      status,
      statusUrl: deletionStatusPath(deletionId),
      progress,
    });
    try {
      const { status } = await handle.describe();
      if (status.name === 'COMPLETED') return view('deleted', await handle.result());
      if (status.name === 'RUNNING') {
        // With no worker running, a query would wait for one: answer 503 rather than hang.
        const progress = await client
          .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(organizationDeletionProgressQuery))
          .catch((error: unknown) => {
            this.deps.logger.warn({ err: error, deletionId }, 'organization deletion progress unreadable');
            throw problems.unavailable(
              'The deletion continues, but its progress cannot be read now; try again shortly.',
            );
          });
        return view('deleting', progress);
      }
      this.deps.logger.error({ deletionId, status: status.name }, 'organization deletion did not complete');
      return view('failed', NOT_STARTED);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw problems.notFound('The organization deletion');
      throw error;
    }
  }
}
