import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import { Ticket } from '../db/models';
import type { DomainMetrics } from '../observability/metrics';
import { loadTicketSnapshot, openTicket } from '../services/ticket-store';
import { ticketStartOptions, visitorActivitySignal, type VisitorActivity } from '../workflows/contracts';
import type { ticketLifecycle } from '../workflows/tickets';

export interface EscalationRequest {
  organizationId: string;
  conversationId: string;
  messageId: string;
  reasons: string[];
  sentiment: number;
  turnWorkflowId: string;
}

export function createEscalationActivities(deps: { knex: Knex; metrics: DomainMetrics }) {
  return {
    /**
     * Opens the conversation's ticket and hands the conversation to people. Exactly one active ticket
     * per conversation: a second escalation finds the open one and adds its reasons to the timeline.
     * Idempotent per visitor message, so a retried activity records nothing twice.
     */
    async escalateConversation(request: EscalationRequest): Promise<{ ticketId: string; created: boolean }> {
      const result = await openTicket(deps.knex, {
        ...request,
        assigneeUserId: null,
        actorUserId: null,
      });
      deps.metrics.escalations.inc({ ticket: result.created ? 'opened' : 'existing' });
      return result;
    },

    /**
     * Tells the conversation's active ticket workflow that the visitor wrote or was escalated again,
     * starting the workflow when it does not run yet (signal-with-start on the business id
     * `ticket-<ticketId>`: however often this runs, there is one workflow per ticket).
     */
    async signalTicket(input: {
      organizationId: string;
      conversationId: string;
      activity: VisitorActivity;
    }): Promise<{ ticketId: string | null }> {
      const ticket = await Ticket.query(deps.knex)
        .forOrganization(input.organizationId)
        .where('conversationId', input.conversationId)
        .whereNot('status', 'closed')
        .first();
      if (!ticket) return { ticketId: null };
      const snapshot = (await loadTicketSnapshot(deps.knex, input.organizationId, ticket.id))!;
      const { client, info } = Context.current();
      await client.workflow.signalWithStart<typeof ticketLifecycle, [VisitorActivity]>('ticketLifecycle', {
        ...ticketStartOptions(snapshot, info.taskQueue),
        signal: visitorActivitySignal,
        signalArgs: [input.activity],
      });
      return { ticketId: ticket.id };
    },
  };
}
