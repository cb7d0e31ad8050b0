import type { Knex } from 'knex';
import { Conversation, Message, Organization, Ticket, TicketEvent, type TicketPriority } from '../db/models';
import type { Plan } from '../domain/plans';
import type { DomainMetrics } from '../observability/metrics';

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
  const ladder: TicketPriority[] = ['low', 'normal', 'high', 'urgent'];
  let rank = 1;
  if (sentiment <= -0.6) rank++;
  if (plan !== 'free') rank++;
  return ladder[Math.min(rank, 3)]!;
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
          await TicketEvent.query(trx)
            .forOrganization(scope)
            .insert({
              ticketId: open.id,
              type: 'escalated_again',
              data: { reasons: request.reasons, messageId: request.messageId },
            });
          return { ticketId: open.id, created: false };
        }

        const organization = await Organization.query(trx).findById(scope).forUpdate();
        const last = await Ticket.query(trx).forOrganization(scope).max('number as max').first();
        const messages = await Message.query(trx)
          .forOrganization(scope)
          .where({ conversationId: conversation.id, internal: false })
          .orderBy('createdAt');
        const ticket = await Ticket.query(trx)
          .forOrganization(scope)
          .insert({
            conversationId: conversation.id,
            number: Number((last as unknown as { max: number | null } | undefined)?.max ?? 0) + 1,
            priority: priorityFor(request.sentiment, organization!.plan),
            reason: request.reasons.join('; '),
            summary: summarize(messages),
          });
        await TicketEvent.query(trx)
          .forOrganization(scope)
          .insert({
            ticketId: ticket.id,
            type: 'created',
            data: {
              reasons: request.reasons,
              messageId: request.messageId,
              turnWorkflowId: request.turnWorkflowId,
            },
          });
        return { ticketId: ticket.id, created: true };
      });
      deps.metrics.escalations.inc({ ticket: result.created ? 'opened' : 'existing' });
      return result;
    },
  };
}
