import type { Knex } from 'knex';

/**
 * Live events from workers to API processes, over PostgreSQL LISTEN/NOTIFY: generated tokens as they
 * stream, new messages, document progress, revoked API keys and deleted organizations (API processes
 * cache keys). NOTIFY
 * inside a transaction is delivered on commit, so a "message" event never announces a row that is
 * not there. Payloads stay well under NOTIFY's 8 kB.
 */
export const EVENTS_CHANNEL = 'parley_events';

export type ParleyEvent =
  | {
      type: 'token';
      organizationId: string;
      conversationId: string;
      replyTo: string;
      seq: number;
      delta: string;
    }
  | { type: 'message'; organizationId: string; conversationId: string; messageId: string }
  | { type: 'document'; organizationId: string; documentId: string; status: string }
  | {
      type: 'typing';
      organizationId: string;
      conversationId: string;
      who: 'assistant' | 'agent' | 'visitor';
      active: boolean;
    }
  | { type: 'read'; organizationId: string; conversationId: string; by: 'agent' | 'visitor'; at: string }
  | { type: 'api_key_revoked'; organizationId: string; apiKeyId: string }
  /**
   * A marker an API process sends itself (a streamed REST turn): NOTIFYs arrive in commit order, so
   * when it comes back, every event committed before it has been delivered.
   */
  | { type: 'flush'; organizationId: string; conversationId: string; id: string }
  | { type: 'organization_deleted'; organizationId: string };

export async function publish(db: Knex | Knex.Transaction, event: ParleyEvent): Promise<void> {
  await db.raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, JSON.stringify(event)]);
}
