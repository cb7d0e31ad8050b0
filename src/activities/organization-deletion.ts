import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import type { TenantIndexStore } from '../ai/tenant-index';
import type { TenantModel } from '../db/base-model';
import {
  Attachment,
  AuditLogEntry,
  Conversation,
  Document,
  DocumentChunk,
  DocumentFile,
  EmailDelivery,
  Membership,
  Message,
  Notification,
  Organization,
  Ticket,
  TicketEvent,
  UsageEvent,
  User,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEvent,
  WebhookMessage,
} from '../db/models';
import { publish } from '../lib/events';
import type { Logger } from '../lib/logger';
import {
  emailWorkflowId,
  ingestWorkflowId,
  subscriptionWorkflowId,
  ticketWorkflowId,
  webhookDeliveryWorkflowId,
  type DeletedTable,
} from '../workflows/contracts';

/**
 * The activities of an organization's deletion (src/workflows/organization-deletion.ts). Each is
 * idempotent: it works on what is left, so a retry, or a deletion requested again, finishes the job.
 */

export interface OrganizationDeletionDependencies {
  knex: Knex;
  indexes: TenantIndexStore;
  logger: Logger;
}

const MODELS: Record<DeletedTable, typeof TenantModel> = {
  webhook_attempts: WebhookAttempt,
  webhook_deliveries: WebhookDelivery,
  webhook_messages: WebhookMessage,
  notifications: Notification,
  email_deliveries: EmailDelivery,
  ticket_events: TicketEvent,
  tickets: Ticket,
  attachments: Attachment,
  messages: Message,
  conversations: Conversation,
  document_chunks: DocumentChunk,
  document_files: DocumentFile,
  documents: Document,
  usage_events: UsageEvent,
  audit_log: AuditLogEntry,
};

export interface DeleteRowsInput {
  organizationId: string;
  table: DeletedTable;
  /** Rows per statement (a short transaction each). */
  batchSize: number;
  /** Statements per call: the granularity of progress and of a worker restart. */
  batchesPerCall: number;
}

export function createOrganizationDeletionActivities(deps: OrganizationDeletionDependencies) {
  const { knex } = deps;

  return {
    /**
     * Terminates the organization's workflows that may still be running, found by their business ids:
     * its subscription, open tickets, ingestions (URL sources re-sync on a timer), webhook and email
     * deliveries. Their rows are about to go, so they could only fail. Returns how many it stopped.
     */
    async stopOrganizationWorkflows(input: { organizationId: string; deletionId: string }): Promise<number> {
      const scope = input.organizationId;
      const [tickets, documents, deliveries, emails] = await Promise.all([
        Ticket.query(knex).forOrganization(scope).whereNot('status', 'closed').select('id'),
        Document.query(knex).forOrganization(scope).select('id'),
        WebhookDelivery.query(knex).forOrganization(scope).whereNull('completedAt').select('id'),
        EmailDelivery.query(knex).forOrganization(scope).where('status', 'sending').select('id'),
      ]);
      const ids = [
        subscriptionWorkflowId(scope),
        ...tickets.map((t) => ticketWorkflowId(t.id)),
        ...documents.map((d) => ingestWorkflowId(d.id)),
        ...deliveries.map((d) => webhookDeliveryWorkflowId(d.id)),
        ...emails.map((e) => emailWorkflowId(e.id)),
      ];
      const { client } = Context.current();
      let stopped = 0;
      for (const id of ids) {
        Context.current().heartbeat(id);
        try {
          const handle = client.workflow.getHandle(id);
          const { status } = await handle.describe();
          if (status.name !== 'RUNNING') continue;
          await handle.terminate(`organization ${scope} deleted (deletion ${input.deletionId})`);
          stopped++;
        } catch (error) {
          // Never started, or gone from Temporal's retention: nothing to stop.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      return stopped;
    },

    /** Deletes up to `batchesPerCall` batches of the table's rows of the organization. */
    async deleteOrganizationRows(input: DeleteRowsInput): Promise<{ deleted: number; done: boolean }> {
      const model = MODELS[input.table];
      const key = model.idColumn as string;
      let deleted = 0;
      for (let batch = 0; batch < input.batchesPerCall; batch++) {
        const count = await model
          .query(knex)
          .forOrganization(input.organizationId)
          .whereIn(
            key,
            model.query(knex).forOrganization(input.organizationId).select(key).limit(input.batchSize),
          )
          .delete();
        deleted += count;
        Context.current().heartbeat(deleted);
        if (count < input.batchSize) return { deleted, done: true };
      }
      return { deleted, done: false };
    },

    /**
     * Deletes the organization's row, with what still cascades from it (settings, members, keys,
     * counters…), its Stripe events, and the accounts of members who belong to no other organization,
     * in one transaction that also tells the API processes to forget its cached API keys. Returns how
     * many accounts went with it.
     */
    async deleteOrganizationRecord(input: { organizationId: string }): Promise<{ usersDeleted: number }> {
      const scope = input.organizationId;
      return knex.transaction(async (trx) => {
        const members = await Membership.query(trx).forOrganization(scope).select('userId');
        await WebhookEvent.query(trx).where('organizationId', scope).delete();
        await Organization.query(trx).deleteById(scope);
        const userIds = members.map((m) => m.userId);
        const usersDeleted = await User.query(trx)
          .whereIn('id', userIds)
          .whereNotExists(
            Membership.query(trx)
              .unscoped('whether the account belongs to any organization left')
              .whereColumn('memberships.userId', 'users.id'),
          )
          .delete();
        // API processes cache API keys: on commit, they forget the organization's.
        await publish(trx, { type: 'organization_deleted', organizationId: scope });
        return { usersDeleted };
      });
    },

    /** Drops the organization's search indexes from this worker's memory and disk. */
    async dropOrganizationIndexes(input: { organizationId: string }): Promise<void> {
      await deps.indexes.drop(input.organizationId);
    },
  };
}
