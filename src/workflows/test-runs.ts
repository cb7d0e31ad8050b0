import {
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { decideTurn } from '../domain/turn-decision';
import { replies } from '../domain/replies';
import {
  knowledgeChangedSignal,
  type KnowledgeChangeInput,
  type TestRunInput,
  type TestRunSummary,
} from './contracts';

/**
 * A test run (#22), one workflow per organization and test set (`test-run-<org>-<set>`): every
 * question goes through the chat turn's own steps — the same retrieval and sentiment activities, the
 * same decision, the same generator and grounding rule — but nothing is posted to a conversation,
 * counted as usage or escalated into a ticket; each reply is judged and recorded once. A run resumed
 * on another worker skips the questions it already recorded.
 */

// As the chat turn's: bounded by time, every step idempotent.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '200ms', maximumInterval: '5 seconds' },
});

const generation = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10 seconds' },
});

const work = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30 seconds' },
});

/** Questions asked at once: a run shares the workers with live chat turns. */
const CONCURRENCY = 2;

export async function testRun(input: TestRunInput): Promise<TestRunSummary> {
  const { organizationId } = input;
  const { workflowId, firstExecutionRunId: runId } = workflowInfo();
  const plan = await work.beginTestRun({ ...input, runId, workflowId });
  if (!plan.exists) return { runId, questionCount: 0, passed: 0, failed: 0, missingDocuments: 0 };
  const { settings } = plan;
  const recorded = new Set(plan.recorded);
  const queue = plan.questions.filter((q) => !recorded.has(q.id));

  const ask = async (question: { id: string; question: string }) => {
    const [retrieval, sentiment] = await Promise.all([
      local.retrievePassages({ organizationId, question: question.question, history: [] }),
      local.scoreSentiment({ text: question.question }),
    ]);
    const decision = decideTurn({
      question: question.question,
      confidence: retrieval.confidence,
      confidenceThreshold: settings.confidenceThreshold,
      sentiment,
      previousSentiments: [],
      fallMustEndLow: true,
      abstentionsInRow: 0,
      settings: settings.escalation,
    });
    let reply = {
      outcome: decision.action as string,
      text: decision.action === 'escalate' ? replies.escalated : replies.abstain,
      citations: [] as Awaited<ReturnType<Activities['generateTestAnswer']>>['citations'],
      reasons: decision.reasons,
    };
    if (decision.action === 'answer') {
      reply = await generation.generateTestAnswer({
        question: retrieval.standaloneQuestion,
        passages: retrieval.passages,
        persona: settings.persona,
        instructions: settings.instructions,
        history: [],
        summary: '',
      });
    }
    await local.recordTestResult({
      organizationId,
      runId,
      questionId: question.id,
      outcome: reply.outcome,
      text: reply.text,
      citations: reply.citations,
      trace: retrieval.trace,
      reasons: reply.reasons,
    });
  };

  const next = async (): Promise<void> => {
    for (let question = queue.shift(); question; question = queue.shift()) await ask(question);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, next));
  return work.finishTestRun({ organizationId, runId });
}

/**
 * The organization's debouncer (`test-runs-after-knowledge-change-<org>`): each document that goes
 * live or is deleted signals it; once no change has come for `quietSeconds`, every test set's run
 * starts (or is joined, when one is going). A change that comes while the runs start gets a pass of
 * its own.
 */
export async function testRunsAfterKnowledgeChange(input: KnowledgeChangeInput): Promise<void> {
  let changes = 0;
  setHandler(knowledgeChangedSignal, () => {
    changes++;
  });
  for (let seen = -1; seen !== changes;) {
    seen = changes;
    await condition(() => changes !== seen, `${input.quietSeconds} seconds`);
  }
  const served = changes;
  await work.startTestRunsAfterKnowledgeChange({ organizationId: input.organizationId });
  if (changes !== served) await continueAsNew<typeof testRunsAfterKnowledgeChange>(input);
}
