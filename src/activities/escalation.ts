import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import { Conversation, Message, Organization, Ticket, TicketEvent, type TicketPriority } from '../db/models';
import type { Plan } from '../domain/plans';
import type { DomainMetrics } from '../observability/metrics';
import { PRIORITY_LADDER, slaDueDates } from '../domain/tickets';
import { loadTicketSnapshot, ticketStartOptions } from '../services/ticket-workflow';
import { visitorActivitySignal, type VisitorActivity } from '../workflows/contracts';
import type { ticketLifecycle } from '../workflows/tickets';

export interface EscalationRequest {
  organizationId: string;
  conversationId: string;
  messageId: string;
  reasons: string[];
  sentiment: number;
  turnWorkflowId: string;
}

/** Upset visitors and paying plans get seen first. */
export function priorityFor(sentiment: number, plan: Plan): TicketPriority {
  let rank = 1;
  if (sentiment <= -0.6) rank++;
  if (plan !== 'free') rank++;
  return PRIORITY_LADDER[Math.min(rank, PRIORITY_LADDER.length - 1)]!;
}

/** A few lines for the agent: what the visitor asked, newest last. */
function summarize(messages: Message[]): string {
  return messages
    .filter((m) => m.role === 'visitor')
    .slice(-5)
    .map((m) => `• ${m.content.replace(/\s+/g, ' ').slice(0, 200)}`)
    .join('\n');
}

export function createEscalationActivities(deps: { knex: Knex; metrics: DomainMetrics }) {
  return {
    /**
     * Opens the conversation's ticket and hands the conversation to people. Exactly one active ticket
     * per conversation: a second escalation finds the open one and adds its reasons to the timeline.
     * Idempotent per visitor message, so a retried activity records nothing twice.
     */
    async escalateConversation(request: EscalationRequest): Promise<{ ticketId: string; created: boolean }> {
      const scope = request.organizationId;
      const result = await deps.knex.transaction(async (trx) => {
        // Serialises escalations of one conversation (the partial unique index is the last line of defence).
        const conversation = await Conversation.query(trx)
          .forOrganization(scope)
          .findById(request.conversationId)
          .forUpdate();
        if (!conversation) throw new Error('Conversation not found');
        await Conversation.query(trx)
          .forOrganization(scope)
          .patch({ status: 'escalated', handledBy: 'agent' })
          .where('id', conversation.id);

        const open = await Ticket.query(trx)
          .forOrganization(scope)
          .where('conversationId', conversation.id)
          .whereNot('status', 'closed')
          .first();
        if (open) {
          const recorded = await TicketEvent.query(trx)
            .forOrganization(scope)
            .where('ticketId', open.id)
            .whereRaw("data->>'messageId' = ?", [request.messageId])
            .first();
          if (!recorded) {
            await TicketEvent.query(trx)
              .forOrganization(scope)
              .insert({
                ticketId: open.id,
                type: 'escalated_again',
                data: { reasons: request.reasons, messageId: request.messageId },
              });
          }
          return { ticketId: open.id, created: false };
        }

        const organization = await Organization.query(trx).findById(scope).forUpdate();
        const last = await Ticket.query(trx).forOrganization(scope).max('number as max').first();
        const messages = await Message.query(trx)
          .forOrganization(scope)
          .where({ conversationId: conversation.id, internal: false })
          .orderBy('createdAt');
        const priority = priorityFor(request.sentiment, organization!.plan);
        const due = slaDueDates(new Date(), priority);
        const ticket = await Ticket.query(trx)
          .forOrganization(scope)
          .insert({
            conversationId: conversation.id,
            number: Number((last as unknown as { max: number | null } | undefined)?.max ?? 0) + 1,
            priority,
            reason: request.reasons.join('; '),
            summary: summarize(messages),
            firstResponseDueAt: due.firstResponse,
            resolutionDueAt: due.resolution,
          });
        await TicketEvent.query(trx)
          .forOrganization(scope)
          .insert({
            ticketId: ticket.id,
            type: 'created',
            data: {
              reasons: request.reasons,
              priority,
              messageId: request.messageId,
              turnWorkflowId: request.turnWorkflowId,
            },
          });
        return { ticketId: ticket.id, created: true };
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
