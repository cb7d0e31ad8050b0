import { patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PROMPT_VERSION } from '../ai/generation/types';
import { decideTurn } from '../domain/turn-decision';
import { replies } from '../domain/replies';
import type { TurnRecord, TurnRef, TurnResult } from './contracts';

/**
 * One workflow per visitor message (id `turn-<messageId>`): load memory → retrieve (with the
 * follow-up rewritten as a standalone question) and score sentiment → decide → generate or explain →
 * record the reply, its trace and usage → hand to escalation when needed (the ticket then runs as its
 * own workflow, `ticket-<ticketId>`). Cheap steps are local activities (no round trip through the
 * server); an answer is generated and recorded by one regular activity that heartbeats (`answerTurn`).
 */

// Retries are bounded by time, not by count: every step is idempotent, and a database or network
// outage of a minute must delay the answer, not lose it (tests/chaos/postgres-restart.test.ts).
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '200ms', maximumInterval: '5 seconds' },
});

// The generating worker heartbeats every second whatever the model does, so an attempt on a worker
// that died is retried after the heartbeat timeout; a stuck model runs into startToClose.
const generation = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10 seconds' },
});

/** Turns recorded before ticket workflows existed replay without their signal. */
const TICKET_WORKFLOWS_PATCH = 'ticket-lifecycle-workflows';
/** Turns recorded before generation and recording became one activity replay the two steps. */
const ANSWER_TURN_PATCH = 'answer-turn-activity';
/** Turns recorded before a sentiment fall had to end low replay the old rule. */
const LOW_FALL_PATCH = 'sentiment-fall-ends-low';

const escalation = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30 seconds' },
});

export async function chatTurn(ref: TurnRef): Promise<TurnResult> {
  const startedAt = Date.now(); // workflow time: deterministic on replay
  const context = await local.loadTurnContext(ref);
  if (context.existingReplyId) return { outcome: 'answer', replyId: context.existingReplyId, reasons: [] };
  // After a hand-off, people answer; the assistant stays quiet until an agent hands the conversation back.
  if (context.handledBy === 'agent') {
    // The ticket hears that the visitor wrote (a pending or resolved ticket reopens).
    if (patched(TICKET_WORKFLOWS_PATCH)) {
      await escalation.signalTicket({
        organizationId: ref.organizationId,
        conversationId: ref.conversationId,
        activity: { kind: 'visitor_message', messageId: ref.messageId },
      });
    }
    return { outcome: 'handed_off', replyId: null, reasons: [] };
  }

  const record = (fields: Omit<TurnRecord, keyof TurnRef | 'latencyMs'>) =>
    local.recordTurn({ ...ref, ...fields, summary: context.summary, latencyMs: Date.now() - startedAt });

  const sentimentPromise = local.scoreSentiment({ text: context.question });
  if (context.quota.limit !== null && context.quota.used >= context.quota.limit) {
    const sentiment = await sentimentPromise;
    const { replyId } = await record({
      ...noGeneration(replies.quotaExceeded),
      outcome: 'quota_exceeded',
      sentiment,
      trace: null,
      reasons: ['monthly message limit reached'],
    });
    return { outcome: 'quota_exceeded', replyId, reasons: ['monthly message limit reached'] };
  }

  const [retrieval, sentiment] = await Promise.all([
    local.retrievePassages({
      organizationId: ref.organizationId,
      question: context.question,
      history: context.history,
    }),
    sentimentPromise,
  ]);
  const decision = decideTurn({
    question: context.question,
    // Turns recorded before calibrated confidence decided on the best passage's cosine score.
    confidence: retrieval.confidence ?? retrieval.passages[0]?.score ?? null,
    confidenceThreshold: context.confidenceThreshold,
    sentiment,
    previousSentiments: context.previousSentiments,
    fallMustEndLow: patched(LOW_FALL_PATCH),
    abstentionsInRow: context.abstentionsInRow,
    settings: context.escalation,
  });

  if (decision.action === 'answer') {
    const request = {
      ref,
      question: retrieval.standaloneQuestion,
      passages: retrieval.passages,
      persona: context.persona,
      instructions: context.instructions,
      history: context.history,
      summary: context.summary,
    };
    if (patched(ANSWER_TURN_PATCH)) {
      // A reply the documents do not support comes back as an abstention (activities recorded before
      // that existed return only the reply).
      const answered = await generation.answerTurn({
        request,
        turn: { trace: retrieval.trace, sentiment, summary: context.summary, startedAt },
      });
      return {
        outcome: answered.outcome ?? 'answer',
        replyId: answered.replyId,
        reasons: answered.reasons ?? [],
      };
    }
    const answer = await generation.generateAnswer(request);
    const { replyId } = await record({
      outcome: 'answer',
      text: answer.text,
      citations: answer.citations,
      trace: retrieval.trace,
      sentiment,
      model: answer.model,
      promptVersion: PROMPT_VERSION,
      promptTokens: answer.promptTokens,
      completionTokens: answer.completionTokens,
      reasons: [],
    });
    return { outcome: 'answer', replyId, reasons: [] };
  }

  const text = decision.action === 'abstain' ? replies.abstain : replies.escalated;
  const { replyId } = await record({
    ...noGeneration(text),
    outcome: decision.action,
    trace: retrieval.trace,
    sentiment,
    reasons: decision.reasons,
  });
  if (decision.action === 'escalate') {
    await escalation.escalateConversation({
      organizationId: ref.organizationId,
      conversationId: ref.conversationId,
      messageId: ref.messageId,
      reasons: decision.reasons,
      sentiment,
      turnWorkflowId: workflowInfo().workflowId,
    });
    // Starts the ticket's lifecycle workflow, or tells the running one (one workflow per ticket).
    if (patched(TICKET_WORKFLOWS_PATCH)) {
      await escalation.signalTicket({
        organizationId: ref.organizationId,
        conversationId: ref.conversationId,
        activity: { kind: 'escalated', messageId: ref.messageId },
      });
    }
  }
  return { outcome: decision.action, replyId, reasons: decision.reasons };
}

function noGeneration(text: string) {
  return {
    text,
    citations: [],
    model: null,
    promptVersion: null,
    promptTokens: null,
    completionTokens: null,
  };
}
