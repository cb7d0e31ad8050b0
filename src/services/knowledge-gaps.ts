import type { Knex } from 'knex';
import { Message } from '../db/models';

/**
 * Knowledge gaps: the visitor questions the assistant abstained on (no passage was confident enough),
 * grouped by their wording, most asked first. Where an agent answered the question afterwards, the
 * first such reply is kept: it is the draft of the article that would close the gap.
 */

export interface KnowledgeGap {
  /** The wording most recently used for this question. */
  question: string;
  /** How many times it was asked (and not answered) in the period. */
  count: number;
  lastAskedAt: Date;
  /** Conversations where it was asked, most recent first. */
  conversationIds: string[];
  /** The first agent reply after the most recent asking that has one. */
  agentReply: { messageId: string; conversationId: string; content: string } | null;
}

export interface KnowledgeGapFilters {
  /** Questions asked in the last this many days (default 30). */
  days?: number;
  /** At most this many groups (default 50). */
  limit?: number;
}

/** Case, punctuation and spacing do not make a different question. */
export const normalizeQuestion = (question: string): string =>
  question
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

export async function listKnowledgeGaps(
  knex: Knex,
  organizationId: string,
  filters: KnowledgeGapFilters = {},
): Promise<KnowledgeGap[]> {
  const since = new Date(Date.now() - (filters.days ?? 30) * 24 * 3600 * 1000);
  const abstentions = await Message.query(knex)
    .forOrganization(organizationId)
    .where({ role: 'assistant', outcome: 'abstain' })
    .whereNotNull('replyToMessageId')
    .where('createdAt', '>=', since)
    .select('replyToMessageId');
  const questionIds = [...new Set(abstentions.map((m) => m.replyToMessageId!))];
  if (questionIds.length === 0) return [];
  const questions = await Message.query(knex)
    .forOrganization(organizationId)
    .whereIn('id', questionIds)
    .orderBy('createdAt', 'desc');
  const conversationIds = [...new Set(questions.map((q) => q.conversationId))];
  const agentReplies = await Message.query(knex)
    .forOrganization(organizationId)
    .whereIn('conversationId', conversationIds)
    .where({ role: 'agent', internal: false })
    .orderBy('createdAt');

  const groups = new Map<string, KnowledgeGap>();
  for (const question of questions) {
    const key = normalizeQuestion(question.content);
    if (!key) continue;
    let group = groups.get(key);
    if (!group) {
      group = {
        question: question.content,
        count: 0,
        lastAskedAt: question.createdAt,
        conversationIds: [],
        agentReply: null,
      };
      groups.set(key, group);
    }
    group.count += 1;
    if (!group.conversationIds.includes(question.conversationId))
      group.conversationIds.push(question.conversationId);
    if (!group.agentReply) {
      const reply = agentReplies.find(
        (m) => m.conversationId === question.conversationId && m.createdAt > question.createdAt,
      );
      if (reply)
        group.agentReply = {
          messageId: reply.id,
          conversationId: reply.conversationId,
          content: reply.content,
        };
    }
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || b.lastAskedAt.getTime() - a.lastAskedAt.getTime())
    .slice(0, filters.limit ?? 50);
}
