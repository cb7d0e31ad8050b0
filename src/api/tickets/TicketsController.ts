import type { Request as ExRequest } from 'express';
import {
  Body,
  Header,
  Controller,
  Get,
  Path,
  Post,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import type { TicketPriority, TicketStatus } from '../../db/models';
import type { MessageView } from '../../services/conversations';
import { toTicketView, type TicketDetail, type TicketView } from '../../services/tickets';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/** @example {"userId": "0b5f0a5e-9a1c-4c47-a8f6-2d6f3c1b8e21"} */
export interface TicketAssignment {
  /** The member to assign; omit it for round-robin among the organization's available members. */
  userId?: Uuid;
}

/** @example {"status": "pending"} */
export interface TicketStatusChange {
  /**
   * `pending` (waiting on the visitor), `resolved`, `closed`, or `open`/`assigned` to work on it again.
   * A closed ticket is reopened by replying to the visitor.
   */
  status: 'open' | 'assigned' | 'pending' | 'resolved' | 'closed';
}

/** @example {"content": "Your refund was issued today; it reaches your card in 3 to 5 days.", "clientMessageId": "reply-7f3a", "status": "resolved"} */
export interface TicketReplyCreation {
  /**
   * What the visitor reads.
   * @minLength 1
   * @maxLength 10000
   */
  content: string;
  /**
   * Your idempotency key: sending the same id again posts the reply once.
   * @minLength 1
   * @maxLength 100
   */
  clientMessageId?: string;
  /**
   * The ticket's status once the reply is sent: `pending` waits on the visitor (their next message
   * reopens it), `resolved` closes it after the quiet period unless they write again. Without it, an
   * active ticket keeps its status and a resolved or closed one is reopened.
   */
  status?: 'pending' | 'resolved';
}

/** @example {"content": "Customer is on the annual plan; refund approved by finance."} */
export interface TicketNoteCreation {
  /**
   * For colleagues only.
   * @minLength 1
   * @maxLength 10000
   */
  content: string;
}

export interface TicketMessage {
  message: MessageView;
  ticket: TicketView;
}

/**
 * Escalated conversations worked by people. Each ticket runs as a workflow (`ticket-<id>`); changes
 * go through it, and every change is an event on the ticket's timeline.
 */
// Problem answers are declared per method: tsoa drops the media type of class-level @Response.
@Route('v1/tickets')
@Tags('Tickets')
export class TicketsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The organization's tickets, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-` (priority sorts low < normal < high < urgent).
   * @param assignee A user id, or `none` for unassigned tickets.
   * @param updatedSince Only those changed at or after this instant (ISO 8601), for incremental sync: sort by `updatedAt` and keep the latest `updatedAt` seen.
   * @param updatedBefore Only those changed before this instant (ISO 8601).
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @maxLength assignee 36
   * @pattern assignee ^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$
   * @summary List tickets
   */
  @Get()
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:read'])
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  public async listTickets(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query()
    sort?:
      | 'createdAt'
      | '-createdAt'
      | 'updatedAt'
      | '-updatedAt'
      | 'number'
      | '-number'
      | 'priority'
      | '-priority',
    @Query() status?: TicketStatus,
    @Query() priority?: TicketPriority,
    @Query() assignee?: string,
    @Query() updatedSince?: Date,
    @Query() updatedBefore?: Date,
  ): Promise<Page<TicketView>> {
    const page = await this.services.tickets.list(principalOf(req).organizationId, {
      limit,
      cursor,
      sort,
      status,
      priority,
      assignee,
      updatedSince,
      updatedBefore,
    });
    return { items: page.items.map(toTicketView), nextCursor: page.nextCursor };
  }

  /**
   * One ticket with its timeline and the conversation (internal notes only in the timeline).
   * @summary Get a ticket with its timeline
   */
  @Get('{id}')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:read'])
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  public async getTicket(@Request() req: ExRequest, @Path() id: Uuid): Promise<TicketDetail> {
    return this.services.tickets.detail(principalOf(req).organizationId, id);
  }

  /**
   * Assigns the ticket to a member, or round-robin to the available member who waited longest.
   * @summary Assign a ticket
   */
  @Post('{id}/assign')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:write'])
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'The ticket is closed', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(
    422,
    'Invalid fields, or the user is not a member with the agent role',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async assignTicket(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TicketAssignment,
  ): Promise<TicketView> {
    return toTicketView(await this.services.tickets.assign(principalOf(req), id, body.userId));
  }

  /**
   * Changes the ticket's status (the change appears on its timeline).
   * @summary Change a ticket's status
   */
  @Post('{id}/status')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:write'])
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(
    409,
    'The change does not fit the ticket (e.g. it is closed)',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async setTicketStatus(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TicketStatusChange,
  ): Promise<TicketView> {
    return toTicketView(await this.services.tickets.setStatus(principalOf(req), id, body.status));
  }

  /**
   * Replies to the visitor, who sees it live in the widget. The first reply meets the first-response
   * target. A reply on a resolved or closed ticket reopens it.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Reply to the visitor
   */
  @Post('{id}/replies')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:write'])
  @SuccessResponse(201, 'Sent')
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'The conversation already has another active ticket', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields (e.g. an empty message)', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async replyToTicket(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TicketReplyCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TicketMessage> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => {
      const { message, ticket } = await this.services.tickets.reply(principalOf(req), id, body);
      return { status: 201, body: { message, ticket: toTicketView(ticket) } };
    });
  }

  /**
   * Adds an internal note: on the timeline for colleagues, never shown or sent to the visitor.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Add an internal note
   */
  @Post('{id}/notes')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:write'])
  @SuccessResponse(201, 'Added')
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields (e.g. an empty note)', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async addTicketNote(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TicketNoteCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TicketMessage> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => {
      const { message, ticket } = await this.services.tickets.addNote(principalOf(req), id, body);
      return { status: 201, body: { message, ticket: toTicketView(ticket) } };
    });
  }

  /**
   * Hands the conversation back to the assistant; the ticket is resolved and closes after the quiet period.
   * @summary Hand a conversation back to the assistant
   */
  @Post('{id}/hand-back')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Security('bearer', ['agent', 'tickets:write'])
  @Response<ProblemDocument>(404, 'No such ticket in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'The ticket is closed', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async handBackTicket(@Request() req: ExRequest, @Path() id: Uuid): Promise<TicketView> {
    return toTicketView(await this.services.tickets.handBack(principalOf(req), id));
  }
}
