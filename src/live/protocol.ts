import { z } from 'zod';
import type { AttachmentRef, Citation, MessageRole } from '../db/models';

/**
 * The widget protocol, version 1 (docs/widget-protocol.md). JSON text frames over a WebSocket at
 * `/widget/v1/ws?key=<widget key>`; the same frames flow over the HTTP fallback (POST to send,
 * server-sent events to receive).
 */
export const PROTOCOL_VERSION = 1;

const clientMessageId = z.string().min(1).max(100);

export const clientFrame = z.discriminatedUnion('type', [
  /** First frame: who the visitor is, and the last message they already have (to resume). */
  z
    .object({
      type: z.literal('hello'),
      token: z.string().min(1).max(2000),
      lastMessageId: z.uuid().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('message'),
      clientMessageId,
      content: z.string().max(20_000),
      attachmentIds: z.array(z.uuid()).max(5).optional(),
    })
    .strict(),
  /** The "talk to a human" button. */
  z.object({ type: z.literal('escalate'), clientMessageId }).strict(),
  z.object({ type: z.literal('typing'), active: z.boolean() }).strict(),
  /** Everything up to and including this message has been seen. */
  z.object({ type: z.literal('read'), messageId: z.uuid() }).strict(),
  /** Post-chat rating (CSAT), 1 to 5. */
  z.object({ type: z.literal('rate'), rating: z.number().int().min(1).max(5) }).strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);

export type ClientFrame = z.infer<typeof clientFrame>;

export interface WireMessage {
  id: string;
  role: Exclude<MessageRole, 'system'> | 'system';
  content: string;
  clientMessageId: string | null;
  replyToMessageId: string | null;
  citations: Citation[];
  attachments: AttachmentRef[];
  /** For agent replies: the agent's name, which the widget shows with their initials; null otherwise. */
  author: string | null;
  createdAt: string;
}

export type ServerFrame =
  | {
      type: 'welcome';
      protocol: number;
      conversationId: string;
      visitorId: string;
      /** Messages after `lastMessageId` (the whole history on a first connection), oldest first. */
      messages: WireMessage[];
      unread: number;
      /** Who answers now: the assistant, or people after a hand-off. */
      handledBy: 'assistant' | 'agent';
    }
  /** The visitor's message is stored (repeated client message ids get the same answer). */
  | { type: 'ack'; clientMessageId: string; messageId: string }
  | { type: 'message'; message: WireMessage }
  /** A piece of the assistant's reply to `replyTo`, in order (`seq` from 0). */
  | { type: 'token'; replyTo: string; seq: number; delta: string }
  | { type: 'typing'; who: 'assistant' | 'agent' | 'visitor'; active: boolean }
  | { type: 'read'; by: 'agent' | 'visitor'; at: string }
  | { type: 'unread'; count: number }
  /** `field` names the frame's field at fault, when one is (e.g. `content` holding a NUL). */
  | { type: 'error'; code: ErrorCode; message: string; field?: string }
  | { type: 'pong' };

export type ErrorCode =
  | 'bad_frame'
  | 'unauthorized'
  | 'origin_not_allowed'
  | 'rate_limited'
  | 'invalid_message'
  | 'not_found'
  | 'unavailable';

/** WebSocket close codes (4000–4999 are the application's). */
export const CLOSE = {
  badFrame: 4400,
  unauthorized: 4401,
  heartbeatTimeout: 4408,
  tooLarge: 1009,
  goingAway: 1001,
} as const;
