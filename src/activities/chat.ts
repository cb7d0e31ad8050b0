import { Context } from '@temporalio/activity';
import type { Embeddings } from '@langchain/core/embeddings';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { Conversation, Message, Organization, OrganizationSettings } from '../db/models';
import { PLAN_CATALOG } from '../domain/plans';
import { replies } from '../domain/replies';
import { DEFAULT_ESCALATION, type EscalationSettings } from '../domain/turn-decision';
import { extendSummary, selectMemory, standaloneQuestion } from '../ai/memory';
import {
  PROMPT_VERSION,
  type AnswerGenerator,
  type GenerationRequest,
  type GenerationResult,
  type HistoryTurn,
} from '../ai/generation/types';
import { retrieve, type RetrievalResult } from '../ai/retrieval';
import type { SentimentScorer } from '../ai/sentiment';
import type { TenantIndexStore } from '../ai/tenant-index';
import { publish } from '../lib/events';
import { recordUsage, usageThisPeriod } from '../services/usage';
import { startChatTurn } from '../services/conversations';
import { emitWebhookEvent, messageEvent } from '../services/webhooks';
import { turnWorkflowId, type SweepScope, type TurnRecord, type TurnRef } from '../workflows/contracts';

/** Streamed pieces (words or model tokens) per live token event after the first. */
const TOKENS_PER_EVENT = 4;
import type { DomainMetrics } from '../observability/metrics';

/**
 * Chat-turn activities. The cheap ones (context, retrieval, sentiment, recording) run as local
 * activities next to the workflow; generation is a regular activity with a timeout and heartbeats.
 */

export interface ChatDependencies {
  knex: Knex;
  embeddings: Embeddings;
  indexes: TenantIndexStore;
  generator: AnswerGenerator;
  sentiment: SentimentScorer;
  chat: Config['chat'];
  retrieval: Config['retrieval'];
  metrics: DomainMetrics;
  /** Parley's public address, for the article links of citations. */
  publicUrl: string;
}

export interface TurnContext {
  question: string;
  /** Set when this message was already answered (a retried or replayed turn). */
  existingReplyId: string | null;
  handledBy: 'assistant' | 'agent';
  persona: string;
  instructions: string;
  confidenceThreshold: number;
  escalation: EscalationSettings;
  history: HistoryTurn[];
  summary: string;
  previousSentiments: number[];
  abstentionsInRow: number;
  /** Messages answered this month and the plan's limit (null = unlimited). */
  quota: { used: number; limit: number | null };
}

export interface Retrieval extends RetrievalResult {
  standaloneQuestion: string;
}

/** What the generator needs, and the turn it answers (for the streamed tokens' address). */
export interface AnswerRequest extends GenerationRequest {
  ref: TurnRef;
}

export function createChatActivities(deps: ChatDependencies) {
  const { knex } = deps;

  const activities = {
    async loadTurnContext(ref: TurnRef): Promise<TurnContext> {
      const scope = ref.organizationId;
      const [message, conversation, settings, organization] = await Promise.all([
        Message.query(knex).forOrganization(scope).findById(ref.messageId),
        Conversation.query(knex).forOrganization(scope).findById(ref.conversationId),
        OrganizationSettings.query(knex).forOrganization(scope).findById(scope),
        Organization.query(knex).findById(scope),
      ]);
      if (!message || !conversation || !organization) throw new Error('The turn refers to a missing message');
      const [reply, earlier, used] = await Promise.all([
        Message.query(knex)
          .forOrganization(scope)
          .findOne({ replyToMessageId: ref.messageId, role: 'assistant' }),
        Message.query(knex)
          .forOrganization(scope)
          .where({ conversationId: ref.conversationId, internal: false })
          .where('createdAt', '<', message.createdAt)
          .whereIn('role', ['visitor', 'assistant', 'agent'])
          .orderBy('createdAt', 'desc')
          .limit(50),
        usageThisPeriod(knex, scope, 'messages'),
      ]);
      const chronological = [...earlier].reverse(); // `earlier` stays newest first for the count below
      const memory = selectMemory(
        chronological.map((m) => ({ role: m.role as HistoryTurn['role'], content: m.content })),
        deps.chat.memoryTokenBudget,
      );
      let abstentionsInRow = 0;
      for (const m of earlier) {
        if (m.role !== 'assistant') continue;
        if (m.outcome !== 'abstain') break;
        abstentionsInRow++;
      }
      return {
        question: message.content,
        existingReplyId: reply?.id ?? null,
        handledBy: conversation.handledBy,
        ...answerSettings(settings),
        history: memory.window,
        summary: extendSummary(conversation.summary, memory.overflow),
        previousSentiments: chronological
          .filter((m) => m.role === 'visitor' && m.sentiment !== null)
          .map((m) => m.sentiment!),
        abstentionsInRow,
        quota: { used, limit: PLAN_CATALOG[organization.plan].monthlyMessages },
      };
    },

    /** Rewrites a follow-up into a standalone question and retrieves the best live passages for it. */
    async retrievePassages(input: {
      organizationId: string;
      question: string;
      history: HistoryTurn[];
    }): Promise<Retrieval> {
      const question = standaloneQuestion(input.question, input.history);
      const result = await retrieve(deps, input.organizationId, question, {
        ...deps.retrieval,
        topK: deps.chat.topK,
      });
      return { standaloneQuestion: question, ...result };
    },

    async scoreSentiment(input: { text: string }): Promise<number> {
      return deps.sentiment.score(input.text);
    },

    /**
     * Generates the grounded answer, publishing tokens as they arrive so the chat channel can stream
     * them. Heartbeats carry the progress (every second, and with each published piece); a cancelled
     * turn stops generating.
     */
    async generateAnswer(input: AnswerRequest): Promise<GenerationResult> {
      const context = Context.current();
      let seq = 0;
      let pending: string[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        const delta = pending.join('');
        pending = [];
        context.heartbeat(seq);
        await publish(knex, {
          type: 'token',
          organizationId: input.ref.organizationId,
          conversationId: input.ref.conversationId,
          replyTo: input.ref.messageId,
          seq: seq++,
          delta,
        });
      };
      // Alive while a model loads or thinks before its first token (see the turn's heartbeatTimeout).
      const alive = setInterval(() => context.heartbeat(seq), 1000);
      try {
        // The first piece goes out at once (time to first token); later ones in groups, so a fast
        // generator costs a few NOTIFY round trips rather than one per word.
        const result = await deps.generator.generate(
          input,
          async (delta) => {
            pending.push(delta);
            if (seq === 0 || pending.length >= TOKENS_PER_EVENT) await flush();
          },
          context.cancellationSignal,
        );
        await flush();
        return result;
      } finally {
        clearInterval(alive);
      }
    },

    /**
     * Stores the assistant's reply with its citations and trace, the visitor's sentiment, the
     * conversation's summary, and the usage event — once: a retried turn finds its reply already there.
     */
    async recordTurn(record: TurnRecord & { summary: string }): Promise<{ replyId: string }> {
      const recorded = await knex.transaction(async (trx) => {
        const scope = record.organizationId;
        // The conversation is locked first, as a visitor's new message does (see postVisitorMessage).
        await Conversation.query(trx).forOrganization(scope).findById(record.conversationId).forUpdate();
        const existing = await Message.query(trx)
          .forOrganization(scope)
          .findOne({ replyToMessageId: record.messageId, role: 'assistant' });
        if (existing) return { replyId: existing.id, created: false };

        const reply = await Message.query(trx)
          .forOrganization(scope)
          .insert({
            conversationId: record.conversationId,
            role: 'assistant',
            content: record.text,
            replyToMessageId: record.messageId,
            citations: record.citations,
            retrievalTrace: record.trace,
            model: record.model,
            promptVersion: record.promptVersion,
            promptTokens: record.promptTokens,
            completionTokens: record.completionTokens,
            latencyMs: Math.round(record.latencyMs),
            outcome: record.outcome,
          })
          .returning('*');
        await emitWebhookEvent(trx, scope, 'message.created', messageEvent(reply));
        await emitWebhookEvent(trx, scope, 'turn.completed', {
          conversationId: record.conversationId,
          messageId: record.messageId,
          replyId: reply.id,
          outcome: record.outcome,
          reasons: record.reasons,
          citations: record.citations,
          confidence: record.trace?.confidence ?? null,
          latencyMs: Math.round(record.latencyMs),
          // The turn's workflow: its history in the Temporal Web UI is the turn's trace.
          workflowId: turnWorkflowId(record.messageId),
        });
        await Message.query(trx)
          .forOrganization(scope)
          .patch({ sentiment: record.sentiment })
          .where('id', record.messageId);
        await Conversation.query(trx)
          .forOrganization(scope)
          .patch({ sentiment: record.sentiment, summary: record.summary, lastMessageAt: new Date() })
          .where('id', record.conversationId);
        if (record.outcome === 'answer' || record.outcome === 'abstain') {
          await recordUsage(trx, scope, 'messages', record.messageId);
        }
        await publish(trx, {
          type: 'message',
          organizationId: scope,
          conversationId: record.conversationId,
          messageId: reply.id,
        });
        return { replyId: reply.id, created: true };
      });
      // Counted once the reply is committed, and once per turn: a retry finds the reply and skips this.
      if (recorded.created) {
        deps.metrics.turns.inc({ outcome: record.outcome });
        if (record.outcome === 'abstain') deps.metrics.abstentions.inc();
      }
      return { replyId: recorded.replyId };
    },
  };

  return {
    ...activities,

    /**
     * Generates the answer and records the turn in one activity, so the turn's workflow ends in the
     * task that receives it (one workflow task fewer than generating, then recording). A retry after
     * the reply was stored returns it without generating again.
     */
    async answerTurn(input: {
      request: AnswerRequest;
      turn: Pick<TurnRecord, 'trace' | 'sentiment'> & { summary: string; startedAt: number };
    }): Promise<{ replyId: string; outcome: 'answer' | 'abstain'; reasons: string[] }> {
      const { ref } = input.request;
      const stored = await Message.query(knex)
        .forOrganization(ref.organizationId)
        .findOne({ replyToMessageId: ref.messageId, role: 'assistant' });
      if (stored) {
        const outcome = stored.outcome === 'abstain' ? 'abstain' : 'answer';
        return { replyId: stored.id, outcome, reasons: outcome === 'abstain' ? [UNGROUNDED] : [] };
      }
      const answer = await activities.generateAnswer(input.request);
      const { outcome, reasons, text, citations } = groundedReply(answer);
      const { replyId } = await activities.recordTurn({
        ...ref,
        outcome,
        text,
        citations,
        trace: input.turn.trace && { ...input.turn.trace, stream: answer.stream },
        sentiment: input.turn.sentiment,
        model: answer.model,
        promptVersion: PROMPT_VERSION,
        promptTokens: answer.promptTokens,
        completionTokens: answer.completionTokens,
        latencyMs: Date.now() - input.turn.startedAt,
        reasons,
        summary: input.turn.summary,
      });
      return { replyId, outcome, reasons };
    },

    /**
     * Starts the turn of each visitor message left without one: the latest message of a conversation
     * the assistant handles, unanswered, posted between ORPHAN_AFTER and ORPHAN_WINDOW ago (its client
     * has stopped retrying; an older question is no longer worth answering). A turn that already ran
     * is not started again, whatever it decided. Returns how many turns it started.
     */
    async startOrphanedTurns(scope: SweepScope): Promise<{ started: number }> {
      const candidates = await Message.query(knex)
        .unscoped('the sweeper looks at every organization, or the one it is given')
        .alias('m')
        .join('conversations as c', 'c.id', 'm.conversationId')
        .where('m.role', 'visitor')
        .where('c.handledBy', 'assistant')
        .whereBetween('m.createdAt', [
          new Date(Date.now() - ORPHAN_WINDOW_MS),
          new Date(Date.now() - ORPHAN_AFTER_MS),
        ])
        .modify((query) => {
          if (scope.organizationId) query.where('m.organizationId', scope.organizationId);
        })
        .whereNotExists(
          Message.query(knex)
            .unscoped('correlated with the outer row')
            .alias('reply')
            .whereColumn('reply.replyToMessageId', 'm.id')
            .where('reply.role', 'assistant'),
        )
        .whereNotExists(
          Message.query(knex)
            .unscoped('correlated with the outer row')
            .alias('later')
            .whereColumn('later.conversationId', 'm.conversationId')
            .where('later.role', 'visitor')
            .whereColumn('later.createdAt', '>', 'm.createdAt'),
        )
        .select('m.id', 'm.organizationId', 'm.conversationId')
        .orderBy('m.createdAt', 'desc')
        .limit(ORPHAN_BATCH);
      const { client, info, log } = Context.current();
      let started = 0;
      for (const message of candidates) {
        const ref = {
          organizationId: message.organizationId,
          conversationId: message.conversationId,
          messageId: message.id,
        };
        if (await startChatTurn(client, info.taskQueue, ref)) started++;
      }
      if (started > 0) {
        deps.metrics.orphanedTurns.inc(started);
        log.warn('started the turns of visitor messages left without one', { started });
      }
      return { started };
    },
  };
}

const UNGROUNDED = 'no sentence of the generated reply was supported by the documents';

/** How the organization's settings shape an answer: what a chat turn and a test run both read. */
export type AnswerSettings = Pick<
  TurnContext,
  'persona' | 'instructions' | 'confidenceThreshold' | 'escalation'
>;

export function answerSettings(settings: OrganizationSettings | undefined): AnswerSettings {
  return {
    persona: settings?.aiPersona ?? '',
    instructions: settings?.aiInstructions ?? '',
    confidenceThreshold: settings?.confidenceThreshold ?? 0.35,
    escalation: { ...DEFAULT_ESCALATION, ...(settings?.escalationRules ?? {}) },
  };
}

/**
 * The reply a generated answer becomes: a reply the passages do not support is not sent, the turn
 * says it does not know instead. Chat turns and test runs both decide with it.
 */
export function groundedReply(answer: GenerationResult): {
  outcome: 'answer' | 'abstain';
  reasons: string[];
  text: string;
  citations: GenerationResult['citations'];
} {
  if (answer.ungrounded) {
    return { outcome: 'abstain', reasons: [UNGROUNDED], text: replies.abstain, citations: [] };
  }
  return { outcome: 'answer', reasons: [], text: answer.text, citations: answer.citations };
}

/** A message this old without a turn has been given up on by its client… */
const ORPHAN_AFTER_MS = 30_000;
/** …and one older than this is no longer worth answering. */
const ORPHAN_WINDOW_MS = 15 * 60_000;
/** Messages looked at per sweep, the newest first; the next sweep takes the rest. */
const ORPHAN_BATCH = 100;
