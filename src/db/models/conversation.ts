import { type JSONSchema, type RelationMappings } from 'objection';
import { BaseModel, TenantModel } from '../base-model';
import type { Integer } from '../../domain/schemas';

export const CONVERSATION_STATUSES = ['open', 'escalated', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export const MESSAGE_ROLES = ['visitor', 'assistant', 'agent', 'system'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export interface Citation {
  documentId: string;
  title: string;
  /** Where the visitor can read the source: its URL, with the cited section's anchor when it has one. */
  url: string | null;
  chunkId: string;
  /** The section the reply quotes from: "Returns › Flown kites" (absent on replies before sections). */
  section?: string;
  /** The words the reply quotes, or the start of the passage it drew on. */
  snippet?: string;
}

/** A file a visitor sent, as listed on its message (the bytes live in the attachments table). */
export interface AttachmentRef {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: Integer;
}

export interface RetrievalHit {
  chunkId: string;
  documentId: string;
  documentVersion: Integer;
  /** Cosine similarity of the passage to the question. */
  score: number;
  /** Share of the question's words (weighted by IDF) found in the passage's section. */
  coverage?: number;
  /** The fused ranking's score, and the passage's place in each ranking (null: not retrieved there). */
  fused?: number;
  denseRank?: Integer | null;
  lexicalRank?: Integer | null;
}

export interface RetrievalTrace {
  query: string;
  hits: RetrievalHit[];
  /** The calibrated probability that the first passage answers the question (see src/ai/retrieval.ts). */
  confidence?: number | null;
  /** Milliseconds per retrieval stage (embedding, each search, fusion), for the eval and the console. */
  timings?: StageTimings;
  /**
   * How the reply was streamed (answered turns): by a language model as it generated, or `simulated`,
   * a finished reply sent word by word (see GenerationResult.stream).
   */
  stream?: 'model' | 'simulated';
}

/** Milliseconds per retrieval stage, by stage name, to a hundredth (most stages take under one). */
export interface StageTimings {
  [stage: string]: number;
}

export class Conversation extends TenantModel {
  static override tableName = 'conversations';
  declare id: string;
  declare visitorId: string;
  declare visitorName: string | null;
  declare visitorEmail: string | null;
  declare status: ConversationStatus;
  declare handledBy: 'assistant' | 'agent';
  /** Running summary of turns that fell out of the memory window. */
  declare summary: string;
  declare sentiment: number | null;
  declare csatRating: number | null;
  declare lastMessageAt: Date | null;
  /** Read receipts: messages up to these times have been seen. */
  declare visitorReadAt: Date | null;
  declare agentReadAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare messages?: Message[];

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['visitorId'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      visitorId: { type: 'string', minLength: 1, maxLength: 200 },
      visitorName: { type: ['string', 'null'], maxLength: 200 },
      visitorEmail: { type: ['string', 'null'], maxLength: 254 },
      status: { type: 'string', enum: [...CONVERSATION_STATUSES] },
      handledBy: { type: 'string', enum: ['assistant', 'agent'] },
      summary: { type: 'string' },
      sentiment: { type: ['number', 'null'], minimum: -1, maximum: 1 },
      csatRating: { type: ['integer', 'null'], minimum: 1, maximum: 5 },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    messages: {
      relation: BaseModel.HasManyRelation,
      modelClass: Message,
      join: { from: 'conversations.id', to: 'messages.conversationId' },
    },
  });
}

export class Message extends TenantModel {
  static override tableName = 'messages';
  declare id: string;
  declare conversationId: string;
  declare role: MessageRole;
  declare content: string;
  declare clientMessageId: string | null;
  declare authorUserId: string | null;
  declare replyToMessageId: string | null;
  /** Agent notes visible only in the console. */
  declare internal: boolean;
  declare citations: Citation[];
  declare attachments: AttachmentRef[];
  declare sentiment: number | null;
  declare retrievalTrace: RetrievalTrace | null;
  declare model: string | null;
  declare promptVersion: string | null;
  declare promptTokens: number | null;
  declare completionTokens: number | null;
  declare latencyMs: number | null;
  /** For assistant messages: answered, abstained, escalated, or quota_exceeded. */
  declare outcome: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['conversationId', 'role', 'content'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      conversationId: { type: 'string', format: 'uuid' },
      role: { type: 'string', enum: [...MESSAGE_ROLES] },
      content: { type: 'string' },
      clientMessageId: { type: ['string', 'null'], maxLength: 100 },
      internal: { type: 'boolean' },
      citations: { type: 'array' },
      attachments: { type: 'array' },
      sentiment: { type: ['number', 'null'], minimum: -1, maximum: 1 },
      retrievalTrace: { type: ['object', 'null'] },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    conversation: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Conversation,
      join: { from: 'messages.conversationId', to: 'conversations.id' },
    },
  });
}

/** A file a visitor sent from the widget (images and PDFs), kept per organization. */
export class Attachment extends TenantModel {
  static override tableName = 'attachments';
  static override hasUpdatedAt = false;
  declare id: string;
  declare conversationId: string;
  declare filename: string;
  declare contentType: string;
  declare sizeBytes: number;
  declare content: Buffer;
  declare createdAt: Date;
}
