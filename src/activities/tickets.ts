import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import { Conversation, Membership, Message, Organization, Ticket, TicketEvent, User } from '../db/models';
import {
  activeStatus,
  raisePriority,
  resultingStatus,
  statusChangeProblem,
  type SettableStatus,
  type SlaKind,
} from '../domain/tickets';
import { publish } from '../lib/events';
import type { Mailer } from '../lib/mailer';
import { slaBreachEmail } from '../services/emails';
import { emitWebhookEvent, messageEvent } from '../services/webhooks';
import type { WebhookEventType } from '../domain/webhooks';
import { autoCloseHoursOf } from '../services/ticket-store';
import {
  TICKET_FAILURES,
  toTicketSnapshot,
  type MessageOutcome,
  type ReplyInput,
  type TicketSnapshot,
} from '../workflows/contracts';

/**
 * The ticket lifecycle's writes. Each runs in one transaction, records what changed as a ticket event
 * (the timeline), and returns the ticket as it now is. Each is idempotent: the workflow gives every
 * call a request id, and a retried call that already committed finds its event and changes nothing.
 */

export interface TicketDependencies {
  knex: Knex;
  mailer: Mailer;
  /** Where links in emails point. */
  publicUrl: string;
}

interface TicketRef {
  organizationId: string;
  ticketId: string;
  /** Chosen by the workflow per change; the idempotency key of the change. */
  requestId: string;
  /** The workflow's clock when it asked (ISO): the time stamped on the change, so timers and rows agree. */
  at: string;
}

const refuse = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

/** The timeline entries integrators hear of, and as which webhook event. */
const TICKET_WEBHOOK_EVENTS: Partial<Record<string, WebhookEventType>> = {
  assigned: 'ticket.assigned',
  taken_over: 'ticket.assigned',
  status_changed: 'ticket.status_changed',
  reopened: 'ticket.status_changed',
  resolved: 'ticket.status_changed',
  replied: 'ticket.replied',
};

export function createTicketActivities(deps: TicketDependencies) {
  const { knex } = deps;

  /** Runs `change` on the locked ticket unless this request already ran; returns the ticket after it. */
  async function change<T>(
    ref: TicketRef,
    apply: (
      trx: Knex.Transaction,
      ticket: Ticket,
      record: (type: string, data?: Record<string, unknown>, actorUserId?: string | null) => Promise<void>,
    ) => Promise<T>,
  ): Promise<{ snapshot: TicketSnapshot; result: T | undefined }> {
    return knex.transaction(async (trx) => {
      const scope = ref.organizationId;
      const ticket = await Ticket.query(trx).forOrganization(scope).findById(ref.ticketId).forUpdate();
      if (!ticket) throw refuse(TICKET_FAILURES.invalid, 'The ticket no longer exists.');
      const done = await TicketEvent.query(trx)
        .forOrganization(scope)
        .where('ticketId', ticket.id)
        .whereRaw("data->>'requestId' = ?", [ref.requestId])
        .first();
      let result: T | undefined;
      if (!done) {
        result = await apply(trx, ticket, async (type, data = {}, actorUserId = null) => {
          await TicketEvent.query(trx)
            .forOrganization(scope)
            .insert({ ticketId: ticket.id, type, actorUserId, data: { ...data, requestId: ref.requestId } });
          const event = TICKET_WEBHOOK_EVENTS[type];
          if (event) {
            await emitWebhookEvent(trx, scope, event, {
              ticketId: ticket.id,
              number: ticket.number,
              conversationId: ticket.conversationId,
              change: type,
              actorUserId,
              ...data,
            });
          }
        });
      }
      const fresh = await Ticket.query(trx).forOrganization(scope).findById(ticket.id);
      return { snapshot: toTicketSnapshot(fresh!, await autoCloseHoursOf(trx, scope)), result };
    });
  }

  /** The message a request already stored under its idempotency key, if any. */
  async function storedMessage(
    db: Knex | Knex.Transaction,
    organizationId: string,
    conversationId: string,
    clientMessageId: string,
  ): Promise<Message | undefined> {
    return Message.query(db).forOrganization(organizationId).findOne({ conversationId, clientMessageId });
  }

  async function messageOf(ref: TicketRef & { clientMessageId: string }): Promise<string> {
    const ticket = await Ticket.query(knex).forOrganization(ref.organizationId).findById(ref.ticketId);
    return (await storedMessage(knex, ref.organizationId, ticket!.conversationId, ref.clientMessageId))!.id;
  }

  /** Hands the conversation to people (reopened tickets) or back to the assistant (closed ones). */
  async function handTo(trx: Knex.Transaction, ticket: Ticket, handledBy: 'agent' | 'assistant') {
    await Conversation.query(trx)
      .forOrganization(ticket.organizationId)
      .patch(handledBy === 'agent' ? { handledBy, status: 'escalated' } : { handledBy })
      .where('id', ticket.conversationId);
  }

  /** Moves the ticket to `status`, with the side effects each status has. */
  async function moveTo(
    trx: Knex.Transaction,
    ticket: Ticket,
    status: Ticket['status'],
    now: Date,
  ): Promise<void> {
    if (ticket.status === 'closed' && status !== 'closed') {
      // One active ticket per conversation: a newer ticket may have been opened since this one closed.
      const other = await Ticket.query(trx)
        .forOrganization(ticket.organizationId)
        .where('conversationId', ticket.conversationId)
        .whereNot('status', 'closed')
        .first();
      if (other) {
        throw refuse(
          TICKET_FAILURES.conflict,
          `The conversation already has an active ticket (#${other.number}).`,
        );
      }
    }
    await Ticket.query(trx)
      .forOrganization(ticket.organizationId)
      .findById(ticket.id)
      .patch({
        status,
        ...(status === 'resolved' ? { resolvedAt: now } : {}),
        ...(status === 'closed' ? { closedAt: now } : { closedAt: null }),
        ...(status !== 'resolved' && status !== 'closed' ? { resolvedAt: null } : {}),
      });
    if (status === 'closed') {
      await handTo(trx, ticket, 'assistant');
      await Conversation.query(trx)
        .forOrganization(ticket.organizationId)
        .patch({ status: 'closed' })
        .where('id', ticket.conversationId);
    } else if (ticket.status === 'closed' || ticket.status === 'resolved' || ticket.status === 'pending') {
      if (status === 'open' || status === 'assigned') await handTo(trx, ticket, 'agent');
    }
  }

  /** A member who may take tickets (every role includes the agent's), or a refusal. */
  async function memberOrRefuse(
    trx: Knex.Transaction,
    organizationId: string,
    userId: string,
  ): Promise<Membership> {
    const membership = await Membership.query(trx).forOrganization(organizationId).findOne({ userId });
    if (!membership) {
      throw refuse(
        TICKET_FAILURES.invalid,
        'The assignee must be a member of this organization with the agent role.',
      );
    }
    return membership;
  }

  /** Gives the ticket to the member, who goes to the back of the round-robin queue. */
  async function assignTo(trx: Knex.Transaction, ticket: Ticket, membership: Membership, now: Date) {
    await Membership.query(trx)
      .forOrganization(ticket.organizationId)
      .findById(membership.id)
      .patch({ lastAssignedAt: now });
    await Ticket.query(trx)
      .forOrganization(ticket.organizationId)
      .findById(ticket.id)
      .patch({
        assigneeUserId: membership.userId,
        ...(ticket.status === 'open' ? { status: 'assigned' } : {}),
      });
  }

  /** Adds a message the visitor sees to the ticket's conversation, and announces it on the live channel. */
  async function postToVisitor(
    trx: Knex.Transaction,
    ticket: Ticket,
    fields: Pick<Message, 'role' | 'content' | 'clientMessageId'> & { authorUserId?: string | null },
  ): Promise<Message> {
    const scope = ticket.organizationId;
    const message = await Message.query(trx)
      .forOrganization(scope)
      .insert({ conversationId: ticket.conversationId, ...fields })
      .returning('*');
    if (message.role === 'agent')
      await emitWebhookEvent(trx, scope, 'message.created', messageEvent(message));
    await Conversation.query(trx)
      .forOrganization(scope)
      .patch({ lastMessageAt: message.createdAt })
      .where('id', ticket.conversationId);
    await publish(trx, {
      type: 'message',
      organizationId: scope,
      conversationId: ticket.conversationId,
      messageId: message.id,
    });
    return message;
  }

  return {
    /**
     * Assigns the ticket to `userId`, or round-robin to the available member who has waited longest
     * since their last ticket. Nobody available: the ticket stays open and unassigned.
     */
    async assignTicket(input: TicketRef & { userId: string | null; actorUserId: string | null }) {
      const { snapshot } = await change(input, async (trx, ticket, record) => {
        if (ticket.status === 'closed') throw refuse(TICKET_FAILURES.conflict, 'The ticket is closed.');
        // Serialises round-robin within the organization.
        await Organization.query(trx).findById(input.organizationId).forUpdate();
        const membership = input.userId
          ? await memberOrRefuse(trx, input.organizationId, input.userId)
          : await Membership.query(trx)
              .forOrganization(input.organizationId)
              .where('available', true)
              .orderByRaw('last_assigned_at asc nulls first, created_at asc, id asc')
              .first();
        if (!membership) {
          await record('assignment_skipped', { reason: 'no available member' }, input.actorUserId);
          return;
        }
        if (membership.userId === ticket.assigneeUserId) return;
        await assignTo(trx, ticket, membership, new Date(input.at));
        await record(
          'assigned',
          { from: ticket.assigneeUserId, to: membership.userId, roundRobin: !input.userId },
          input.actorUserId,
        );
      });
      return snapshot;
    },

    /**
     * Changes the status. `expect` guards timer-driven changes: the quiet-period close applies only if
     * the ticket is still resolved as it was when the timer started.
     */
    async setTicketStatus(
      input: TicketRef & {
        status: SettableStatus;
        actorUserId: string | null;
        /** Why, for changes nobody asked for (quiet period, visitor wrote again). */
        cause?: { type: 'quiet_period' | 'visitor_message' | 'escalated'; messageId?: string };
        expect?: { status: Ticket['status']; resolvedAt?: string | null };
      },
    ) {
      const { snapshot } = await change(input, async (trx, ticket, record) => {
        if (input.expect) {
          const resolvedAt = ticket.resolvedAt ? new Date(ticket.resolvedAt).toISOString() : null;
          if (ticket.status !== input.expect.status) return;
          if (input.expect.resolvedAt !== undefined && input.expect.resolvedAt !== resolvedAt) return;
        }
        const problem = statusChangeProblem(ticket.status, input.status, ticket.assigneeUserId);
        if (problem) throw refuse(TICKET_FAILURES.conflict, problem);
        const to = resultingStatus(input.status, ticket.assigneeUserId);
        if (to === ticket.status) return;
        await moveTo(trx, ticket, to, new Date(input.at));
        await record(
          input.cause?.type === 'visitor_message' || input.cause?.type === 'escalated'
            ? 'reopened'
            : 'status_changed',
          {
            from: ticket.status,
            to,
            ...(input.cause ? { cause: input.cause.type, messageId: input.cause.messageId } : {}),
          },
          input.actorUserId,
        );
      });
      return snapshot;
    },

    /**
     * An agent's reply: a message the visitor sees live (published on the event bus). The first reply
     * meets the first-response target; a reply on a resolved or closed ticket reopens it, and one sent
     * with a status moves the ticket there in the same transaction.
     */
    async replyToVisitor(input: TicketRef & ReplyInput): Promise<MessageOutcome> {
      const { snapshot, result } = await change(input, async (trx, ticket, record) => {
        const scope = input.organizationId;
        const sent = await storedMessage(trx, scope, ticket.conversationId, input.clientMessageId);
        if (sent) return sent.id;
        const message = await postToVisitor(trx, ticket, {
          role: 'agent',
          content: input.content,
          clientMessageId: input.clientMessageId,
          authorUserId: input.authorUserId,
        });
        let current = ticket;
        if (ticket.status === 'resolved' || ticket.status === 'closed') {
          const to = activeStatus(ticket.assigneeUserId);
          await moveTo(trx, ticket, to, new Date(input.at));
          await record(
            'reopened',
            { from: ticket.status, to, cause: 'agent_reply', messageId: message.id },
            input.authorUserId,
          );
          current = Object.assign(ticket.$clone(), { status: to });
        }
        if (input.status && input.status !== current.status) {
          await moveTo(trx, current, input.status, new Date(input.at));
          await record(
            'status_changed',
            { from: current.status, to: input.status, cause: 'agent_reply', messageId: message.id },
            input.authorUserId,
          );
        }
        if (!ticket.firstResponseAt) {
          await Ticket.query(trx)
            .forOrganization(scope)
            .findById(ticket.id)
            .patch({ firstResponseAt: message.createdAt });
        }
        await record(
          'replied',
          { messageId: message.id, firstResponse: !ticket.firstResponseAt },
          input.authorUserId,
        );
        return message.id;
      });
      return { messageId: result ?? (await messageOf(input)), ticket: snapshot };
    },

    /** A note for colleagues: stored as an internal message, never published to the visitor's channel. */
    async addInternalNote(
      input: TicketRef & { content: string; clientMessageId: string; authorUserId: string | null },
    ): Promise<MessageOutcome> {
      const { snapshot, result } = await change(input, async (trx, ticket, record) => {
        const written = await storedMessage(
          trx,
          input.organizationId,
          ticket.conversationId,
          input.clientMessageId,
        );
        if (written) return written.id;
        const message = await Message.query(trx)
          .forOrganization(input.organizationId)
          .insert({
            conversationId: ticket.conversationId,
            role: 'agent',
            content: input.content,
            clientMessageId: input.clientMessageId,
            authorUserId: input.authorUserId,
            internal: true,
          })
          .returning('*');
        await record('note', { messageId: message.id, content: input.content }, input.authorUserId);
        return message.id;
      });
      return { messageId: result ?? (await messageOf(input)), ticket: snapshot };
    },

    /** The conversation goes back to the assistant; the people's part is done, so the ticket is resolved. */
    async handBackToAssistant(input: TicketRef & { actorUserId: string | null }) {
      const { snapshot } = await change(input, async (trx, ticket, record) => {
        if (ticket.status === 'closed') throw refuse(TICKET_FAILURES.conflict, 'The ticket is closed.');
        await handTo(trx, ticket, 'assistant');
        await Conversation.query(trx)
          .forOrganization(input.organizationId)
          .patch({ status: 'open' })
          .where('id', ticket.conversationId);
        if (ticket.status !== 'resolved') await moveTo(trx, ticket, 'resolved', new Date(input.at));
        await record('handed_back', { from: ticket.status, to: 'resolved' }, input.actorUserId);
      });
      return snapshot;
    },

    /**
     * A member takes the conversation from the assistant: the ticket becomes theirs and active again,
     * the assistant stops answering, and the visitor is told that a person joined.
     */
    async takeOverConversation(input: TicketRef & { userId: string }) {
      const { snapshot } = await change(input, async (trx, ticket, record) => {
        const scope = input.organizationId;
        if (ticket.status === 'closed') throw refuse(TICKET_FAILURES.conflict, 'The ticket is closed.');
        const membership = await memberOrRefuse(trx, scope, input.userId);
        const conversation = await Conversation.query(trx)
          .forOrganization(scope)
          .findById(ticket.conversationId);
        const alreadyTheirs =
          ticket.assigneeUserId === input.userId &&
          ticket.status === 'assigned' &&
          conversation!.handledBy === 'agent';
        const announced = await Message.query(trx)
          .forOrganization(scope)
          .where({ conversationId: ticket.conversationId, role: 'system' })
          .where('clientMessageId', 'like', 'take-over-%')
          .where('createdAt', '>=', ticket.createdAt)
          .first();
        // A new ticket opened for the take-over is already theirs, but the visitor has not been told yet.
        if (alreadyTheirs && announced) return;
        const now = new Date(input.at);
        if (ticket.assigneeUserId !== input.userId) await assignTo(trx, ticket, membership, now);
        if (ticket.status !== 'assigned') await moveTo(trx, ticket, 'assigned', now);
        await handTo(trx, ticket, 'agent');
        const user = await User.query(trx).findById(input.userId);
        await postToVisitor(trx, ticket, {
          role: 'system',
          content: `${user!.name} from the support team joined the conversation.`,
          clientMessageId: `take-over-${input.requestId}`,
        });
        await record(
          'taken_over',
          { from: ticket.assigneeUserId, to: input.userId, previousStatus: ticket.status },
          input.userId,
        );
      });
      return snapshot;
    },

    /**
     * A missed service-level target: recorded once (the breach time is kept on the ticket), the priority
     * goes up a step. Nothing happens when the target was met meanwhile. Workflows notify through
     * notifyTicketEvent; `notify` (the assignee, or the owners and admins) serves the ones recorded
     * before notifications, which still email from here (sendSlaBreachEmail).
     */
    async recordSlaBreach(
      input: TicketRef & { kind: SlaKind },
    ): Promise<{ ticket: TicketSnapshot; notify: string[] }> {
      const { snapshot, result } = await change(input, async (trx, ticket, record) => {
        const scope = input.organizationId;
        if (input.kind === 'first_response' && (ticket.firstResponseAt || ticket.firstResponseBreachedAt))
          return [];
        if (
          input.kind === 'resolution' &&
          (ticket.resolutionBreachedAt || ticket.status === 'resolved' || ticket.status === 'closed')
        ) {
          return [];
        }
        const priority = raisePriority(ticket.priority);
        await Ticket.query(trx)
          .forOrganization(scope)
          .findById(ticket.id)
          .patch({
            priority,
            ...(input.kind === 'first_response'
              ? { firstResponseBreachedAt: new Date(input.at) }
              : { resolutionBreachedAt: new Date(input.at) }),
          });
        await record('sla_breached', {
          kind: input.kind,
          dueAt: input.kind === 'first_response' ? ticket.firstResponseDueAt : ticket.resolutionDueAt,
          from: ticket.priority,
          to: priority,
        });
        const recipients = ticket.assigneeUserId
          ? User.query(trx).where('id', ticket.assigneeUserId)
          : User.query(trx).whereIn(
              'id',
              Membership.query(trx)
                .forOrganization(scope)
                .whereIn('role', ['owner', 'admin'])
                .select('userId'),
            );
        return (await recipients).map((u) => u.email);
      });
      return { ticket: snapshot, notify: result ?? [] };
    },

    /** The SLA email of ticket workflows recorded before notifications (the 'ticket-notifications' patch). */
    async sendSlaBreachEmail(input: { to: string; ticket: TicketSnapshot; kind: SlaKind }): Promise<void> {
      await deps.mailer.send(
        slaBreachEmail(
          input.to,
          {
            number: input.ticket.number,
            priority: input.ticket.priority,
            link: new URL(`/console/tickets/${input.ticket.ticketId}`, deps.publicUrl).toString(),
          },
          input.kind,
        ),
      );
    },
  };
}
