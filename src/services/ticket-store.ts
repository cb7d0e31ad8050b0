import type { Knex } from 'knex';
import { Conversation, Message, Organization, OrganizationSettings, Ticket, TicketEvent } from '../db/models';
import { DEFAULT_TICKET_RULES, priorityFor, slaDueDates, summarize } from '../domain/tickets';
import { toTicketSnapshot, type TicketSnapshot } from '../workflows/contracts';
import { emitWebhookEvent } from './webhooks';

/** How the escalation activity and the API open a conversation's ticket and load it for its workflow. */

export async function autoCloseHoursOf(db: Knex | Knex.Transaction, organizationId: string): Promise<number> {
  const settings = await OrganizationSettings.query(db)
    .forOrganization(organizationId)
    .findById(organizationId);
  return settings?.ticketRules?.autoCloseHours ?? DEFAULT_TICKET_RULES.autoCloseHours;
}

/** The ticket row as the workflow sees it; undefined when there is no such ticket in the organization. */
export async function loadTicketSnapshot(
  db: Knex | Knex.Transaction,
  organizationId: string,
  ticketId: string,
): Promise<TicketSnapshot | undefined> {
  const ticket = await Ticket.query(db).forOrganization(organizationId).findById(ticketId);
  if (!ticket) return undefined;
  return toTicketSnapshot(ticket, await autoCloseHoursOf(db, organizationId));
}

export interface TicketOpening {
  organizationId: string;
  conversationId: string;
  reasons: string[];
  sentiment: number;
  /** The visitor message that escalated (the idempotency key of a repeated escalation); null when a member took over. */
  messageId: string | null;
  turnWorkflowId: string | null;
  /** Who gets a new ticket; null leaves it to round-robin. */
  assigneeUserId: string | null;
  actorUserId: string | null;
}

/**
 * Hands the conversation to people and opens its ticket. Exactly one active ticket per conversation:
 * when one exists it is returned, and a repeated escalation adds its reasons to the timeline (once
 * per visitor message, so a retried call records nothing twice).
 */
export async function openTicket(
  knex: Knex,
  request: TicketOpening,
): Promise<{ ticketId: string; created: boolean }> {
  const scope = request.organizationId;
  return knex.transaction(async (trx) => {
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
      const recorded =
        request.messageId === null ||
        (await TicketEvent.query(trx)
          .forOrganization(scope)
          .where('ticketId', open.id)
          .whereRaw("data->>'messageId' = ?", [request.messageId])
          .first());
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
        ...(request.assigneeUserId ? { assigneeUserId: request.assigneeUserId, status: 'assigned' } : {}),
      });
    await TicketEvent.query(trx)
      .forOrganization(scope)
      .insert({
        ticketId: ticket.id,
        type: 'created',
        actorUserId: request.actorUserId,
        data: {
          reasons: request.reasons,
          priority,
          messageId: request.messageId,
          turnWorkflowId: request.turnWorkflowId,
        },
      });
    const announced = {
      ticketId: ticket.id,
      number: ticket.number,
      conversationId: conversation.id,
      priority,
      reasons: request.reasons,
    };
    await emitWebhookEvent(trx, scope, 'conversation.escalated', announced);
    await emitWebhookEvent(trx, scope, 'ticket.created', {
      ...announced,
      status: ticket.status,
      assigneeUserId: ticket.assigneeUserId,
      firstResponseDueAt: due.firstResponse.toISOString(),
      resolutionDueAt: due.resolution.toISOString(),
    });
    return { ticketId: ticket.id, created: true };
  });
}
