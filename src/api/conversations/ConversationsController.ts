import type { Request as ExRequest } from 'express';
import {
  Body,
  Header,
  Controller,
  Get,
  Path,
  Post,
  Produces,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import type { ConversationStatus, Message } from '../../db/models';
import {
  toConversationView,
  toMessageView,
  type ConversationDetail,
  type ConversationView,
  type MessageView,
} from '../../services/conversations';
import { principalOf } from '../auth/principal';
import { TurnStream } from '../../live/turn-stream';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';
import { toTicketView, type TicketView } from '../../services/tickets';

/** @example {"visitorId": "crm-customer-4711", "visitorName": "Robin Lee", "visitorEmail": "robin@example.com"} */
export interface ConversationCreation {
  /**
   * Your id for the visitor (returning visitors keep their history); generated when omitted.
   * @minLength 1
   * @maxLength 200
   */
  visitorId?: string;
  /** @maxLength 200 */
  visitorName?: string;
  /**
   * @maxLength 254
   * @pattern ^[^@\s]+@[^@\s]+$
   */
  visitorEmail?: string;
}

/** @example {"content": "Can I return a kite I already flew?", "clientMessageId": "msg-2f9c1e"} */
export interface VisitorMessageCreation {
  /**
   * The visitor's message: at most MAX_QUESTION_CHARS characters, 2,000 unless the server is
   * configured otherwise.
   * @minLength 1
   * @maxLength 2000
   */
  content: string;
  /**
   * Your idempotency key: sending the same id again returns the first message, answered once.
   * @minLength 1
   * @maxLength 100
   */
  clientMessageId?: string;
}

export interface PostedMessage {
  message: MessageView;
  turn: {
    /** The chat-turn workflow answering this message; find it in the Temporal UI. */
    workflowId: string;
    /** `completed` when `wait=true` and the reply is ready; `pending` otherwise. */
    status: 'pending' | 'completed';
    outcome?: 'answer' | 'abstain' | 'escalate' | 'quota_exceeded' | 'handed_off';
    /** Why the assistant escalated or abstained. */
    reasons?: string[];
    reply?: MessageView;
  };
}

const WAIT_LIMIT_MS = 30_000;
/** A streamed turn shows its progress, so it may take longer than a waiting request. */
const STREAM_LIMIT_MS = 120_000;

/** Conversations with visitors; each visitor message is answered by a chat-turn workflow. */
@Route('v1/conversations')
@Tags('Conversations')
export class ConversationsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Starts a conversation for a visitor (integrations; the widget starts its own).
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Start a conversation
   */
  @Post()
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Security('bearer', ['agent', 'conversations:write'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async createConversation(
    @Request() req: ExRequest,
    @Body() body: ConversationCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<ConversationView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => {
      const conversation = await this.services.conversations.create(principalOf(req).organizationId, {
        ...body,
        visitorId: body.visitorId ?? `api-${crypto.randomUUID()}`,
      });
      return { status: 201, body: toConversationView(conversation) };
    });
  }

  /**
   * The organization's conversations, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`. By `lastMessageAt`, a conversation nobody
   * wrote in yet sorts by when it began.
   * @param maxSentiment Only conversations whose visitor sentiment is at most this (e.g. -0.3).
   * @param minSentiment Only conversations whose visitor sentiment is at least this (e.g. 0.3).
   * @param q Words in the visitor's name or email, or in any message.
   * @param escalated true: only conversations escalated to a ticket; false: only those never escalated.
   * @param from Created at or after (ISO 8601).
   * @param to Created before (ISO 8601).
   * @param updatedSince Only those changed at or after this instant (ISO 8601), for incremental sync: sort by `updatedAt` and keep the latest `updatedAt` seen.
   * @param updatedBefore Only those changed before this instant (ISO 8601).
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @minimum maxSentiment -1
   * @maximum maxSentiment 1
   * @minimum minSentiment -1
   * @maximum minSentiment 1
   * @maxLength q 200
   * @maxLength visitorId 200
   * @summary List conversations
   */
  @Get()
  @Security('bearer', ['agent', 'conversations:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listConversations(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query()
    sort?: 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | 'lastMessageAt' | '-lastMessageAt',
    @Query() status?: ConversationStatus,
    @Query() visitorId?: string,
    @Query() maxSentiment?: number,
    @Query() minSentiment?: number,
    @Query() q?: string,
    @Query() escalated?: boolean,
    @Query() from?: Date,
    @Query() to?: Date,
    @Query() updatedSince?: Date,
    @Query() updatedBefore?: Date,
  ): Promise<Page<ConversationView>> {
    const page = await this.services.conversations.list(principalOf(req).organizationId, {
      limit,
      cursor,
      sort,
      status,
      visitorId,
      maxSentiment,
      minSentiment,
      q,
      escalated,
      from,
      to,
      updatedSince,
      updatedBefore,
    });
    return { items: page.items.map(toConversationView), nextCursor: page.nextCursor };
  }

  /**
   * One conversation with its messages, their citations and retrieval traces.
   * @summary Get a conversation with its messages
   */
  @Get('{id}')
  @Security('bearer', ['agent', 'conversations:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such conversation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getConversation(@Request() req: ExRequest, @Path() id: Uuid): Promise<ConversationDetail> {
    const conversation = await this.services.conversations.get(principalOf(req).organizationId, id);
    return {
      ...toConversationView(conversation),
      summary: conversation.summary,
      messages: (conversation.messages ?? []).filter((m) => !m.internal).map(toMessageView),
    };
  }

  /**
   * The conversation's messages, oldest first (internal notes left out). Poll for new ones with
   * `after`, the id of the last message you have.
   * @param after Only messages that came after this one (a message id of this conversation).
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List a conversation's messages
   */
  @Get('{id}/messages')
  @Security('bearer', ['agent', 'conversations:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such conversation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id or query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listMessages(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Query() after?: Uuid,
    @Query() limit?: number,
    @Query() cursor?: string,
  ): Promise<Page<MessageView>> {
    const page = await this.services.conversations.messages(principalOf(req).organizationId, id, {
      after,
      limit,
      cursor,
    });
    return { items: page.items.map(toMessageView), nextCursor: page.nextCursor };
  }

  /**
   * One message of the conversation, with its citations and retrieval trace.
   * @summary Get a message
   */
  @Get('{id}/messages/{messageId}')
  @Security('bearer', ['agent', 'conversations:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such message in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getMessage(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() messageId: Uuid,
  ): Promise<MessageView> {
    return toMessageView(
      await this.services.conversations.message(principalOf(req).organizationId, id, messageId),
    );
  }

  /**
   * Posts a visitor message: a chat turn answers it. With `wait=true` the reply comes in the
   * response (up to 30 s); otherwise poll the conversation or follow the workflow. To receive the
   * reply as it is generated, post to `/v1/conversations/{id}/messages/stream` instead.
   * @param wait Wait for the assistant's reply.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Post a visitor message
   */
  @Post('{id}/messages')
  @Security('bearer', ['agent', 'conversations:write'])
  @SuccessResponse(202, 'Accepted; the chat turn runs')
  @Response<PostedMessage>(201, 'Answered (wait=true)')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(
    402,
    "The plan's monthly message limit is reached (`limit` names it)",
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such conversation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields (e.g. an empty or too long message)', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(
    503,
    'The workflow engine is unreachable, or the reply is late',
    undefined,
    PROBLEM,
  )
  public async postMessage(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: VisitorMessageCreation,
    @Query() wait?: boolean,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<PostedMessage> {
    const organizationId = principalOf(req).organizationId;
    const { conversations } = this.services;
    return answerIdempotently<PostedMessage>(this, req, idempotencyKey, { body, wait }, async () => {
      const { message, workflowId } = await conversations.postVisitorMessage(organizationId, id, body, {
        enforceQuota: true,
      });
      if (!wait) {
        return {
          status: 202,
          body: { message: toMessageView(message), turn: { workflowId, status: 'pending' } },
        };
      }
      return {
        status: 201,
        body: await this.completedTurn(organizationId, workflowId, message, WAIT_LIMIT_MS),
      };
    });
  }

  /**
   * Posts a visitor message and streams the chat turn's reply as it is generated, as server-sent
   * events (status 200; errors found before the turn starts answer with their problem+json status):
   *
   * - `accepted`: `{ message, workflowId }`, the stored visitor message;
   * - `token`: `{ seq, delta }`, the next piece of the reply (`seq` from 0, in order);
   * - `message`: the `PostedMessage` that `wait=true` returns (`turn.outcome`, and `turn.reply`, the
   *   stored reply with its citations; none when people handle the conversation). It is authoritative:
   *   when the grounding check withdraws a streamed answer, the reply is the abstention instead;
   * - `error`: a problem document (e.g. `service-unavailable` when the turn takes over 2 minutes).
   *
   * The stream ends after `message` or `error`. A client that disconnects does not stop the turn: the
   * reply is stored and appears in the conversation.
   *
   * ```sh
   * curl -N -H "Authorization: Bearer $PARLEY_API_KEY" -H 'Accept: text/event-stream' \
   *   -H 'Content-Type: application/json' -d '{"content":"How long does delivery take?"}' \
   *   "$PARLEY_URL/v1/conversations/$CONVERSATION_ID/messages/stream"
   * ```
   * A client that retries a stream sends the same `clientMessageId`: the message is stored once.
   * @summary Post a visitor message and stream the reply
   */
  @Post('{id}/messages/stream')
  @Produces('text/event-stream')
  @Security('bearer', ['agent', 'conversations:write'])
  @Response<unknown>(
    200,
    'The reply, streamed as server-sent events (each event’s data is a JSON object)',
    'event: accepted\ndata: {"message":{"id":"7d0c…","role":"visitor","content":"How long does delivery take?",…},"workflowId":"turn-7d0c…"}\n\nevent: token\ndata: {"seq":0,"delta":"From “Shipping”: "}\n\nevent: token\ndata: {"seq":1,"delta":"Delivery in the EU takes 3 to 5 days. [1]"}\n\nevent: message\ndata: {"message":{…},"turn":{"workflowId":"turn-7d0c…","status":"completed","outcome":"answer","reasons":[],"reply":{"content":"From “Shipping”: Delivery in the EU takes 3 to 5 days. [1]","citations":[…],…}}}\n',
    'text/event-stream',
  )
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(
    402,
    "The plan's monthly message limit is reached (`limit` names it)",
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such conversation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields (e.g. an empty or too long message)', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(
    503,
    'The workflow engine is unreachable, or the reply is late',
    undefined,
    PROBLEM,
  )
  public async streamMessage(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: VisitorMessageCreation,
  ): Promise<unknown> {
    const organizationId = principalOf(req).organizationId;
    const { conversations, bus, knex, logger, config } = this.services;
    // A stream listens before the turn starts, so that it misses none of the reply's tokens.
    const stream = new TurnStream(
      { bus, knex, logger, publicUrl: config.http.publicUrl },
      { organizationId, conversationId: id },
    );
    let posted: Awaited<ReturnType<typeof conversations.postVisitorMessage>>;
    try {
      posted = await conversations.postVisitorMessage(organizationId, id, body, { enforceQuota: true });
    } catch (error) {
      stream.close();
      throw error;
    }
    const { message, workflowId } = posted;
    const pending: PostedMessage = {
      message: toMessageView(message),
      turn: { workflowId, status: 'pending' },
    };
    await stream.relay(req, req.res!, message.id, { message: pending.message, workflowId }, () =>
      this.completedTurn(organizationId, workflowId, message, STREAM_LIMIT_MS),
    );
    // The stream wrote the response; nothing more is sent.
    return '';
  }

  /** The turn's outcome and stored reply, once the chat turn has answered (within `limitMs`). */
  private async completedTurn(
    organizationId: string,
    workflowId: string,
    message: Message,
    limitMs: number,
  ): Promise<PostedMessage> {
    const { result, reply } = await this.services.conversations.awaitReply(
      organizationId,
      workflowId,
      limitMs,
    );
    return {
      message: toMessageView(message),
      turn: {
        workflowId,
        status: 'completed',
        outcome: result.outcome,
        reasons: result.reasons,
        reply: reply ? toMessageView(reply) : undefined,
      },
    };
  }

  /**
   * Takes the conversation from the assistant, which stops answering: the conversation's active
   * ticket (opened now when there is none) is assigned to the caller, and the visitor is told that a
   * person joined. Hand it back with `POST /v1/tickets/{id}/hand-back`. Members only (API keys act for
   * nobody); taking over a conversation one already has changes nothing.
   * @summary Take over a conversation
   */
  @Post('{id}/take-over')
  @Security('bearer', ['agent', 'tickets:write'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(
    403,
    'Role or API-key scope too low, or called with an API key',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(404, 'No such conversation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async takeOverConversation(@Request() req: ExRequest, @Path() id: Uuid): Promise<TicketView> {
    return toTicketView(await this.services.tickets.takeOver(principalOf(req), id));
  }
}
