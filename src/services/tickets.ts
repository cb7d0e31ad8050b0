import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type UpdateDefinition,
} from '@temporalio/client';
import { TemporalFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import type { Principal } from '../domain/principal';
import { paginate, whereUpdated, type Page, type PageParams, type UpdatedRange } from '../lib/pagination';
import { problems } from '../lib/problem';
import {
  Conversation,
  Membership,
  Message,
  Ticket,
  TicketEvent,
  type TicketEventType,
  type TicketPriority,
  type TicketStatus,
} from '../db/models';
import type { ReplyStatus, SettableStatus } from '../domain/tickets';
import type { TemporalGateway } from '../temporal/client';
import {
  addInternalNoteUpdate,
  assignTicketUpdate,
  handBackUpdate,
  replyToVisitorUpdate,
  setTicketStatusUpdate,
  takeOverUpdate,
  DATABASE_FAILURES,
  TICKET_FAILURES,
  ticketStartOptions,
  ticketWorkflowId,
  type MessageOutcome,
} from '../workflows/contracts';
import type { ticketLifecycle } from '../workflows/tickets';
import {
  toConversationView,
  toMessageView,
  type ConversationDetail,
  type MessageView,
} from './conversations';
import { loadTicketSnapshot, openTicket } from './ticket-store';
import { isUuid } from '../lib/uuid';
import type { Integer } from '../domain/schemas';

/**
 * Tickets for agents and integrators. Reads come from the database; every change goes to the ticket's
 * lifecycle workflow as an update (update-with-start: a ticket whose workflow has ended, a closed one,
 * gets a new run), which validates it and writes it through idempotent activities.
 */

export interface TicketView {
  id: string;
  /** Sequential per organization, for people ("ticket #12"). */
  number: Integer;
  conversationId: string;
  status: TicketStatus;
  priority: TicketPriority;
  /** Why the conversation was escalated. */
  reason: string;
  /** The visitor's last questions, for the agent. */
  summary: string;
  assigneeUserId: string | null;
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  firstResponseBreachedAt: Date | null;
  resolutionBreachedAt: Date | null;
  /** The ticket's lifecycle workflow; find it in the Temporal UI. */
  workflowId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One entry of the ticket's timeline. */
export interface TicketEventView {
  /** A sequential id (a decimal string). */
  id: string;
  type: TicketEventType;
  actorUserId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface TicketDetail extends TicketView {
  /** Oldest first. Internal notes appear here (type `note`), never among the conversation's messages. */
  events: TicketEventView[];
  conversation: ConversationDetail;
}

export interface TicketFilters extends PageParams, UpdatedRange {
  status?: TicketStatus;
  priority?: TicketPriority;
  /** A user id, or `none` for unassigned tickets. */
  assignee?: string;
}

export const toTicketView = (t: Ticket): TicketView => ({
  id: t.id,
  number: t.number,
  conversationId: t.conversationId,
  status: t.status,
  priority: t.priority,
  reason: t.reason,
  summary: t.summary,
  assigneeUserId: t.assigneeUserId,
  firstResponseDueAt: t.firstResponseDueAt,
  resolutionDueAt: t.resolutionDueAt,
  firstResponseAt: t.firstResponseAt,
  resolvedAt: t.resolvedAt,
  closedAt: t.closedAt,
  firstResponseBreachedAt: t.firstResponseBreachedAt,
  resolutionBreachedAt: t.resolutionBreachedAt,
  workflowId: ticketWorkflowId(t.id),
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

const toEventView = (e: TicketEvent): TicketEventView => {
  // The idempotency key is the workflow's business, not the reader's.
  const { requestId: _requestId, ...data } = e.data;
  return {
    id: String(e.id),
    type: e.type as TicketEventType,
    actorUserId: e.actorUserId,
    data,
    createdAt: e.createdAt,
  };
};

export class TicketService {
  constructor(private readonly deps: { knex: Knex; temporal: TemporalGateway }) {}

  list(organizationId: string, filters: TicketFilters): Promise<Page<Ticket>> {
    const query = Ticket.query(this.deps.knex).forOrganization(organizationId);
    if (filters.status) query.where('status', filters.status);
    if (filters.priority) query.where('priority', filters.priority);
    if (filters.assignee === 'none') query.whereNull('assigneeUserId');
    else if (filters.assignee !== undefined) {
      if (!isUuid(filters.assignee)) {
        throw problems.validation([{ field: 'query.assignee', message: 'must be a user id or "none"' }]);
      }
      query.where('assigneeUserId', filters.assignee);
    }
    whereUpdated(query, 'tickets', filters);
    return paginate(query, 'tickets', filters, {
      createdAt: 'createdAt',
      updatedAt: 'updatedAt',
      number: 'number',
      priority: 'priority',
    });
  }

  async find(organizationId: string, ticketId: string): Promise<Ticket> {
    const ticket = await Ticket.query(this.deps.knex).forOrganization(organizationId).findById(ticketId);
    if (!ticket) throw problems.notFound('The ticket');
    return ticket;
  }

  /** The conversation's latest ticket, closed or not; undefined when it was never escalated. */
  async latestOfConversation(organizationId: string, conversationId: string): Promise<Ticket | undefined> {
    return Ticket.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('conversationId', conversationId)
      .orderBy('createdAt', 'desc')
      .first();
  }

  async detail(organizationId: string, ticketId: string): Promise<TicketDetail> {
    const ticket = await this.find(organizationId, ticketId);
    const [events, conversation, messages] = await Promise.all([
      TicketEvent.query(this.deps.knex)
        .forOrganization(organizationId)
        .where('ticketId', ticket.id)
        .orderBy('id'),
      Conversation.query(this.deps.knex).forOrganization(organizationId).findById(ticket.conversationId),
      Message.query(this.deps.knex)
        .forOrganization(organizationId)
        .where({ conversationId: ticket.conversationId, internal: false })
        .orderBy('createdAt')
        .orderBy('id'),
    ]);
    return {
      ...toTicketView(ticket),
      events: events.map(toEventView),
      conversation: {
        ...toConversationView(conversation!),
        summary: conversation!.summary,
        messages: messages.map(toMessageView),
      },
    };
  }

  /** Assigns to a member by hand, or round-robin among available members when `userId` is absent. */
  async assign(principal: Principal, ticketId: string, userId: string | undefined): Promise<Ticket> {
    refuseClosed(await this.find(principal.organizationId, ticketId));
    if (userId !== undefined) {
      const member = await Membership.query(this.deps.knex)
        .forOrganization(principal.organizationId)
        .findOne({ userId });
      if (!member) {
        throw problems.validation([
          { field: 'body.userId', message: 'must be a member of this organization with the agent role' },
        ]);
      }
    }
    await this.update(principal.organizationId, ticketId, assignTicketUpdate, {
      userId,
      actorUserId: principal.userId,
    });
    return this.find(principal.organizationId, ticketId);
  }

  async setStatus(principal: Principal, ticketId: string, status: SettableStatus): Promise<Ticket> {
    const ticket = await this.find(principal.organizationId, ticketId);
    if (ticket.status === 'closed' && status === 'closed') return ticket;
    refuseClosed(ticket);
    await this.update(principal.organizationId, ticketId, setTicketStatusUpdate, {
      status,
      actorUserId: principal.userId,
    });
    return this.find(principal.organizationId, ticketId);
  }

  /**
   * A reply the visitor sees live. Idempotent on `clientMessageId`. A reply on a resolved or closed
   * ticket reopens it (and hands the conversation back to people).
   */
  async reply(
    principal: Principal,
    ticketId: string,
    input: { content: string; clientMessageId?: string; status?: ReplyStatus },
  ): Promise<{ message: MessageView; ticket: Ticket }> {
    const clientMessageId = input.clientMessageId ?? `agent-${randomUUID()}`;
    const outcome = await this.update(
      principal.organizationId,
      ticketId,
      replyToVisitorUpdate,
      {
        content: input.content.trim(),
        clientMessageId,
        authorUserId: principal.userId,
        ...(input.status ? { status: input.status } : {}),
      },
      `reply-${clientMessageId}`,
    );
    return this.messageAndTicket(principal.organizationId, outcome);
  }

  /** A note for colleagues only: never shown to the visitor nor sent to the widget. */
  async addNote(
    principal: Principal,
    ticketId: string,
    input: { content: string; clientMessageId?: string },
  ): Promise<{ message: MessageView; ticket: Ticket }> {
    const clientMessageId = input.clientMessageId ?? `note-${randomUUID()}`;
    const outcome = await this.update(principal.organizationId, ticketId, addInternalNoteUpdate, {
      content: input.content.trim(),
      clientMessageId,
      authorUserId: principal.userId,
    });
    return this.messageAndTicket(principal.organizationId, outcome);
  }

  /** The assistant answers the visitor again; the ticket is resolved (and closes after the quiet period). */
  async handBack(principal: Principal, ticketId: string): Promise<Ticket> {
    refuseClosed(await this.find(principal.organizationId, ticketId));
    await this.update(principal.organizationId, ticketId, handBackUpdate, { actorUserId: principal.userId });
    return this.find(principal.organizationId, ticketId);
  }

  /**
   * The caller takes the conversation from the assistant, which stops answering: its active ticket
   * (opened now when there is none) is assigned to the caller and becomes active again, and the
   * visitor is told that a person joined. Taking over a conversation one already has changes nothing.
   */
  async takeOver(principal: Principal, conversationId: string): Promise<Ticket> {
    const { organizationId, userId } = principal;
    const conversation = await Conversation.query(this.deps.knex)
      .forOrganization(organizationId)
      .findById(conversationId);
    if (!conversation) throw problems.notFound('The conversation');
    if (!userId) throw problems.forbidden('Only a signed-in member can take over a conversation.');
    const { ticketId } = await openTicket(this.deps.knex, {
      organizationId,
      conversationId,
      reasons: ['taken over by an agent'],
      sentiment: conversation.sentiment ?? 0,
      messageId: null,
      turnWorkflowId: null,
      assigneeUserId: userId,
      actorUserId: userId,
    });
    await this.update(organizationId, ticketId, takeOverUpdate, { userId });
    return this.find(organizationId, ticketId);
  }

  private async messageAndTicket(
    organizationId: string,
    outcome: MessageOutcome,
  ): Promise<{ message: MessageView; ticket: Ticket }> {
    const [message, ticket] = await Promise.all([
      Message.query(this.deps.knex).forOrganization(organizationId).findById(outcome.messageId),
      this.find(organizationId, outcome.ticket.ticketId),
    ]);
    return { message: toMessageView(message!), ticket };
  }

  /** Sends an update to the ticket's workflow, starting a run from the database row when none is running. */
  private async update<Ret, Arg>(
    organizationId: string,
    ticketId: string,
    update: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    updateId?: string,
  ): Promise<Ret> {
    const snapshot = await loadTicketSnapshot(this.deps.knex, organizationId, ticketId);
    if (!snapshot) throw problems.notFound('The ticket');
    const client = await this.deps.temporal.getClient();
    const start = new WithStartWorkflowOperation<typeof ticketLifecycle>('ticketLifecycle', {
      ...ticketStartOptions(snapshot, this.deps.temporal.taskQueue),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      // With no worker running, Temporal would hold the change for as long as the caller waits.
      return await client.withDeadline(Date.now() + this.deps.temporal.updateTimeoutMs, () =>
        client.workflow.executeUpdateWithStart(update, {
          args: [arg],
          updateId,
          startWorkflowOperation: start,
        }),
      );
    } catch (error) {
      throw refusal(error) ?? error;
    }
  }
}

/**
 * A closed ticket's workflow has ended; only a reply (which reopens it) or a note starts it again, so
 * other changes are refused here rather than by a new run. The workflow checks the same on its side.
 */
function refuseClosed(ticket: Ticket): void {
  if (ticket.status === 'closed') {
    throw problems.conflict('The ticket is closed; reply to the visitor to reopen it.');
  }
}

/** The workflow's refusal as a problem (409 for a change that does not fit the ticket, 422 for bad input). */
function refusal(error: unknown): Error | undefined {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return problems.unavailable('The ticket did not answer in time; try again.');
  }
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  for (let cause: unknown = error.cause; cause instanceof TemporalFailure; cause = cause.cause) {
    const { type } = cause as TemporalFailure & { type?: string };
    if (type === TICKET_FAILURES.conflict) return problems.conflict(cause.message);
    if (type === TICKET_FAILURES.invalid) return problems.validation([], cause.message);
    // The database's own words stay in the workflow's history, not in the answer.
    if (type === DATABASE_FAILURES.refusedValue) {
      return problems.validation([], 'The change holds a value that cannot be stored.');
    }
    if (type === DATABASE_FAILURES.integrityViolation) {
      return problems.conflict(
        'The change conflicts with the data the ticket refers to; reload and try again.',
      );
    }
  }
  return undefined;
}
