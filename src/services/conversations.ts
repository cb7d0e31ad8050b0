import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { emitWebhookEvent, messageEvent } from './webhooks';
import type { Knex } from 'knex';
import type { Config } from '../config';
import {
  Conversation,
  Message,
  Ticket,
  type AttachmentRef,
  type Citation,
  type ConversationStatus,
  type MessageRole,
  type RetrievalTrace,
} from '../db/models';
import { problems } from '../lib/problem';
import { publish } from '../lib/events';
import { assertMessageQuota } from './usage';
import { paginate, whereUpdated, type Page, type PageParams, type UpdatedRange } from '../lib/pagination';
import type { TemporalGateway } from '../temporal/client';
import { turnWorkflowId, type TurnRef, type TurnResult } from '../workflows/contracts';
import type { chatTurn } from '../workflows/chat-turn';
import type { Integer } from '../domain/schemas';
import type { TurnOutcome } from '../domain/turn-decision';

/** Conversations and visitor messages; each visitor message is answered by a chat-turn workflow. */

export interface ConversationServiceDeps {
  knex: Knex;
  temporal: TemporalGateway;
  config: Pick<Config, 'chat'>;
}

export interface ConversationView {
  id: string;
  visitorId: string;
  visitorName: string | null;
  visitorEmail: string | null;
  status: ConversationStatus;
  /** Who answers now: the assistant, or people after a hand-off. */
  handledBy: 'assistant' | 'agent';
  /** The visitor's latest sentiment, from -1 (upset) to 1 (happy). */
  sentiment: number | null;
  csatRating: Integer | null;
  lastMessageAt: Date | null;
  createdAt: Date;
  /** Changed last (a message, a status, a rating): what `updatedSince` filters on. */
  updatedAt: Date;
}

export interface MessageView {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  clientMessageId: string | null;
  /** For assistant messages: the visitor message answered. */
  replyToMessageId: string | null;
  /** Documents the answer is grounded in. */
  citations: Citation[];
  sentiment: number | null;
  /** Retrieved passages and scores behind an assistant message. */
  retrievalTrace: RetrievalTrace | null;
  model: string | null;
  promptVersion: string | null;
  promptTokens: Integer | null;
  completionTokens: Integer | null;
  latencyMs: Integer | null;
  /** For assistant messages: how the turn ended. */
  outcome: TurnOutcome | null;
  createdAt: Date;
}

export interface ConversationDetail extends ConversationView {
  summary: string;
  /** Oldest first; internal notes are not included. */
  messages: MessageView[];
}

export const toConversationView = (c: Conversation): ConversationView => ({
  id: c.id,
  visitorId: c.visitorId,
  visitorName: c.visitorName,
  visitorEmail: c.visitorEmail,
  status: c.status,
  handledBy: c.handledBy,
  sentiment: c.sentiment,
  csatRating: c.csatRating,
  lastMessageAt: c.lastMessageAt,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

export const toMessageView = (m: Message): MessageView => ({
  id: m.id,
  conversationId: m.conversationId,
  role: m.role,
  content: m.content,
  clientMessageId: m.clientMessageId,
  replyToMessageId: m.replyToMessageId,
  citations: m.citations,
  sentiment: m.sentiment,
  retrievalTrace: m.retrievalTrace,
  model: m.model,
  promptVersion: m.promptVersion,
  promptTokens: m.promptTokens,
  completionTokens: m.completionTokens,
  latencyMs: m.latencyMs,
  outcome: m.outcome as TurnOutcome | null,
  createdAt: m.createdAt,
});

export interface ConversationFilters extends PageParams, UpdatedRange {
  /**
   * Only conversations in which the visitor wrote: a widget session begins one that exists, for the
   * console, from the visitor's first message.
   */
  started?: boolean;
  status?: ConversationStatus;
  visitorId?: string;
  /** Only conversations whose visitor sentiment is at most this (e.g. -0.3 for unhappy visitors). */
  maxSentiment?: number;
  /** Only conversations whose visitor sentiment is at least this (e.g. 0.3 for happy visitors). */
  minSentiment?: number;
  /** Case-insensitive match on the visitor's name or email, or on any message. */
  q?: string;
  /** true: only conversations that were escalated to a ticket; false: only those never escalated. */
  escalated?: boolean;
  /** Created at or after / before (ISO 8601). */
  from?: Date;
  to?: Date;
}

export interface VisitorMessageInput {
  content: string;
  /** Chosen by the client; sending the same id twice returns the first message (idempotency key). */
  clientMessageId?: string;
  /** Files already uploaded to this conversation (widget attachments). */
  attachments?: AttachmentRef[];
}

export class ConversationService {
  constructor(private readonly deps: ConversationServiceDeps) {}

  async create(
    organizationId: string,
    input: { visitorId: string; visitorName?: string; visitorEmail?: string },
  ): Promise<Conversation> {
    return this.deps.knex.transaction(async (trx) => {
      const conversation = await Conversation.query(trx)
        .forOrganization(organizationId)
        .insert({
          visitorId: input.visitorId,
          visitorName: input.visitorName ?? null,
          visitorEmail: input.visitorEmail ?? null,
        })
        .returning('*');
      await emitWebhookEvent(trx, organizationId, 'conversation.created', {
        conversationId: conversation.id,
        visitorId: conversation.visitorId,
        visitorName: conversation.visitorName,
        visitorEmail: conversation.visitorEmail,
        createdAt: new Date(conversation.createdAt).toISOString(),
      });
      return conversation;
    });
  }

  list(organizationId: string, filters: ConversationFilters): Promise<Page<Conversation>> {
    const query = Conversation.query(this.deps.knex).forOrganization(organizationId);
    if (filters.started) {
      query.whereExists(
        Message.query(this.deps.knex)
          .forOrganization(organizationId)
          .whereColumn('messages.conversationId', 'conversations.id')
          .where('messages.role', 'visitor'),
      );
    }
    if (filters.status) query.where('status', filters.status);
    if (filters.visitorId) query.where('visitorId', filters.visitorId);
    if (filters.maxSentiment !== undefined) query.where('sentiment', '<=', filters.maxSentiment);
    if (filters.minSentiment !== undefined) query.where('sentiment', '>=', filters.minSentiment);
    if (filters.escalated !== undefined) {
      const tickets = Ticket.query(this.deps.knex)
        .forOrganization(organizationId)
        .whereColumn('tickets.conversationId', 'conversations.id');
      if (filters.escalated) query.whereExists(tickets);
      else query.whereNotExists(tickets);
    }
    if (filters.q) {
      const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.where((q) =>
        q
          .whereILike('visitorName', pattern)
          .orWhereILike('visitorEmail', pattern)
          .orWhereExists(
            Message.query(this.deps.knex)
              .forOrganization(organizationId)
              .whereColumn('messages.conversationId', 'conversations.id')
              .whereILike('messages.content', pattern),
          ),
      );
    }
    if (filters.from) query.where('conversations.createdAt', '>=', filters.from);
    if (filters.to) query.where('conversations.createdAt', '<', filters.to);
    whereUpdated(query, 'conversations', filters);
    return paginate(query, 'conversations', filters, {
      createdAt: 'createdAt',
      updatedAt: 'updatedAt',
      // A conversation nobody wrote in yet has no last message: it sorts by when it began.
      lastMessageAt: ['lastMessageAt', 'createdAt'],
    });
  }

  /** The last message each conversation shows (internal notes aside), by conversation id. */
  async lastMessages(organizationId: string, conversationIds: string[]): Promise<Map<string, Message>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await Message.query(this.deps.knex)
      .forOrganization(organizationId)
      .whereIn('conversationId', conversationIds)
      .where('internal', false)
      .distinctOn('conversationId')
      .orderBy('conversationId')
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc');
    return new Map(rows.map((m) => [m.conversationId, m]));
  }

  /**
   * A conversation's messages, oldest first, internal notes left out; with `after` (a message id of
   * this conversation), only those that came after it: a client polls with the last id it has.
   */
  async messages(
    organizationId: string,
    conversationId: string,
    params: PageParams & { after?: string },
  ): Promise<Page<Message>> {
    const { knex } = this.deps;
    const conversation = await Conversation.query(knex)
      .forOrganization(organizationId)
      .findById(conversationId);
    if (!conversation) throw problems.notFound('The conversation');
    const query = Message.query(knex)
      .forOrganization(organizationId)
      .where({ conversationId, internal: false });
    if (params.after) {
      const anchor = await Message.query(knex)
        .forOrganization(organizationId)
        .findOne({ id: params.after, conversationId });
      if (!anchor)
        throw problems.validation([
          { field: 'query.after', message: 'is not a message of this conversation' },
        ]);
      // In (created_at, id) order, read from the row itself (microseconds, not a rounded copy).
      query.whereRaw(
        '(messages.created_at, messages.id) > (select m.created_at, m.id from messages m where m.id = ?)',
        [anchor.id],
      );
    }
    return paginate(query, 'messages', { ...params, sort: 'createdAt' });
  }

  /** One message of a conversation (internal notes are not messages here). */
  async message(organizationId: string, conversationId: string, messageId: string): Promise<Message> {
    const message = await Message.query(this.deps.knex)
      .forOrganization(organizationId)
      .findOne({ id: messageId, conversationId, internal: false });
    if (!message) throw problems.notFound('The message');
    return message;
  }

  async get(organizationId: string, conversationId: string): Promise<Conversation> {
    const conversation = await Conversation.query(this.deps.knex)
      .forOrganization(organizationId)
      .findById(conversationId)
      .withGraphFetched('messages(chronological)')
      .modifiers({
        chronological: (q) => {
          q.orderBy('createdAt').orderBy('id');
        },
      });
    if (!conversation) throw problems.notFound('The conversation');
    return conversation;
  }

  /**
   * Stores a visitor message and starts its chat turn. Idempotent on `clientMessageId`: a retry gets
   * the original message back and the turn (keyed by the message id) is not started twice.
   */
  async postVisitorMessage(
    organizationId: string,
    conversationId: string,
    input: VisitorMessageInput,
    /** API callers get 402 past the message quota; the widget's visitors get the turn's polite reply. */
    options: { enforceQuota?: boolean } = {},
  ): Promise<{ message: Message; workflowId: string }> {
    const content = input.content.trim();
    const errors = [];
    if (!content) errors.push({ field: 'body.content', message: 'must not be empty' });
    if (content.length > this.deps.config.chat.maxQuestionChars) {
      errors.push({
        field: 'body.content',
        message: `must be at most ${this.deps.config.chat.maxQuestionChars} characters`,
      });
    }
    if (errors.length) throw problems.validation(errors);

    const message = await this.deps.knex.transaction(async (trx) => {
      // Locked first, as the turn's recordTurn does: both insert a message (a key-share lock on the
      // conversation) and then update the conversation, which deadlocked when they met.
      const conversation = await Conversation.query(trx)
        .forOrganization(organizationId)
        .findById(conversationId)
        .forUpdate();
      if (!conversation) throw problems.notFound('The conversation');
      if (input.clientMessageId) {
        const existing = await Message.query(trx)
          .forOrganization(organizationId)
          .findOne({ conversationId, clientMessageId: input.clientMessageId });
        if (existing) {
          // A retry is the same message; another message under the same id is a client's mistake.
          if (existing.content !== content) {
            throw problems.validation([
              { field: 'body.clientMessageId', message: 'was already used for a message with other content' },
            ]);
          }
          return existing;
        }
      }
      if (options.enforceQuota) await assertMessageQuota(trx, organizationId);
      const created = await Message.query(trx)
        .forOrganization(organizationId)
        .insert({
          conversationId,
          role: 'visitor',
          content,
          clientMessageId: input.clientMessageId ?? null,
          attachments: input.attachments ?? [],
        })
        .returning('*');
      await emitWebhookEvent(trx, organizationId, 'message.created', messageEvent(created));
      // A visitor writing again reopens a closed conversation.
      await Conversation.query(trx)
        .forOrganization(organizationId)
        .patch({
          lastMessageAt: created.createdAt,
          ...(conversation.status === 'closed' ? { status: 'open' } : {}),
        })
        .where('id', conversationId);
      // Live views: the message itself, and "assistant is typing" while the turn runs.
      await publish(trx, { type: 'message', organizationId, conversationId, messageId: created.id });
      if (conversation.handledBy === 'assistant') {
        await publish(trx, {
          type: 'typing',
          organizationId,
          conversationId,
          who: 'assistant',
          active: true,
        });
      }
      return created;
    });

    const client = await this.deps.temporal.getClient();
    const ref = { organizationId, conversationId, messageId: message.id };
    await startChatTurn(client, this.deps.temporal.taskQueue, ref);
    return { message, workflowId: turnWorkflowId(message.id) };
  }

  /** Waits for a turn to finish (up to `timeoutMs`) and returns the reply it recorded, if any. */
  async awaitReply(
    organizationId: string,
    workflowId: string,
    timeoutMs: number,
  ): Promise<{ result: TurnResult; reply: Message | null }> {
    const client = await this.deps.temporal.getClient();
    const result = await Promise.race([
      client.workflow.getHandle<typeof chatTurn>(workflowId).result(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              problems.unavailable(
                'The assistant is taking too long; the reply will appear in the conversation.',
              ),
            ),
          timeoutMs,
        ).unref(),
      ),
    ]);
    const reply = result.replyId
      ? ((await Message.query(this.deps.knex).forOrganization(organizationId).findById(result.replyId)) ??
        null)
      : null;
    return { result, reply };
  }
}

/**
 * Starts the chat turn of a visitor message, once: false when it was started before (a retried
 * request, or the orphaned-turn sweeper finding a turn that already ran).
 */
export async function startChatTurn(client: Client, taskQueue: string, ref: TurnRef): Promise<boolean> {
  try {
    await client.workflow.start<typeof chatTurn>('chatTurn', {
      workflowId: turnWorkflowId(ref.messageId),
      taskQueue,
      args: [ref],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowExecutionAlreadyStartedError') return false;
    throw error;
  }
}
