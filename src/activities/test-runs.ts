import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { Config } from '../config';
import {
  Document,
  OrganizationSettings,
  TestQuestion,
  TestResult,
  TestRun,
  TestSet,
  type Citation,
  type RetrievalTrace,
} from '../db/models';
import type { GenerationRequest } from '../ai/generation/types';
import { judgeTestReply } from '../domain/test-judgement';
import { startTestRun, summarizeRun } from '../services/test-runs';
import type { TestRunInput, TestRunSummary } from '../workflows/contracts';
import { answerSettings, groundedReply, type AnswerSettings, type ChatDependencies } from './chat';

/**
 * Test-run activities (#22). A run asks its questions through the chat turn's own activities
 * (retrievePassages, scoreSentiment) and decision (decideTurn); these add what a turn does not do:
 * generating without streaming to a conversation, and recording results instead of messages — no
 * conversation, no usage event, no ticket.
 */

export interface TestRunDependencies {
  knex: Knex;
  generator: ChatDependencies['generator'];
  testRuns: Config['testRuns'];
}

export interface TestRunPlan {
  /** False when the set was deleted before the run began: there is nothing to ask. */
  exists: boolean;
  settings: AnswerSettings;
  questions: { id: string; question: string }[];
  /** Questions this run already recorded (a run resumed on another worker skips them). */
  recorded: string[];
}

export interface TestAnswerRecord {
  organizationId: string;
  runId: string;
  questionId: string;
  outcome: string;
  text: string;
  citations: Citation[];
  trace: RetrievalTrace | null;
  reasons: string[];
}

export function createTestRunActivities(deps: TestRunDependencies) {
  const { knex } = deps;
  return {
    /** Records the run (once, whoever starts it) and returns the questions to ask and how to answer. */
    async beginTestRun(input: TestRunInput & { runId: string; workflowId: string }): Promise<TestRunPlan> {
      const scope = input.organizationId;
      const set = await TestSet.query(knex).forOrganization(scope).findById(input.testSetId);
      const settings = answerSettings(
        await OrganizationSettings.query(knex).forOrganization(scope).findById(scope),
      );
      if (!set) return { exists: false, settings, questions: [], recorded: [] };
      const questions = await TestQuestion.query(knex)
        .forOrganization(scope)
        .where('testSetId', input.testSetId)
        .orderBy([{ column: 'createdAt' }, { column: 'id' }])
        .select('id', 'question');
      await TestRun.query(knex)
        .forOrganization(scope)
        .insert({
          id: input.runId,
          testSetId: input.testSetId,
          workflowId: input.workflowId,
          trigger: input.trigger,
          questionCount: questions.length,
        })
        .onConflict('id')
        .merge(['questionCount']);
      const recorded = await TestResult.query(knex)
        .forOrganization(scope)
        .where('testRunId', input.runId)
        .select('questionId');
      return {
        exists: true,
        settings,
        questions: questions.map((q) => ({ id: q.id, question: q.question })),
        recorded: recorded.map((r) => r.questionId),
      };
    },

    /**
     * Generates a test question's answer as a chat turn would (same generator, same grounding rule),
     * without streaming it to any conversation.
     */
    async generateTestAnswer(request: GenerationRequest) {
      const context = Context.current();
      const alive = setInterval(() => context.heartbeat(), 1000);
      try {
        const answer = await deps.generator.generate(request, () => undefined, context.cancellationSignal);
        return { ...groundedReply(answer), model: answer.model };
      } finally {
        clearInterval(alive);
      }
    },

    /** Judges the reply against the question's expectations and stores the result once. */
    async recordTestResult(record: TestAnswerRecord): Promise<void> {
      const scope = record.organizationId;
      const [run, question] = await Promise.all([
        TestRun.query(knex).forOrganization(scope).findById(record.runId),
        TestQuestion.query(knex).forOrganization(scope).findById(record.questionId),
      ]);
      // The set (and so the run) or the question was deleted while the run was going: nothing to record.
      if (!run || !question) return;
      const expectedIds = question.expectedDocuments.map((d) => d.documentId);
      const existing =
        expectedIds.length === 0
          ? []
          : await Document.query(knex).forOrganization(scope).whereIn('id', expectedIds).select('id');
      const missing = expectedIds.filter((id) => !existing.some((d) => d.id === id));
      const judgement = judgeTestReply(
        {
          expectation: question.expectation,
          expectedDocumentIds: expectedIds,
          requiredPhrases: question.requiredPhrases,
        },
        {
          outcome: record.outcome,
          text: record.text,
          citedDocumentIds: record.citations.map((c) => c.documentId),
          retrievedDocumentIds: record.trace?.hits.map((h) => h.documentId) ?? [],
        },
        missing.map((id) => question.expectedDocuments.find((d) => d.documentId === id)!.title),
      );
      await TestResult.query(knex)
        .forOrganization(scope)
        .insert({
          testRunId: record.runId,
          questionId: question.id,
          question: question.question,
          expectation: question.expectation,
          status: judgement.status,
          failures: judgement.failures,
          expectedRank: judgement.expectedRank,
          outcome: record.outcome,
          reply: record.text,
          citations: record.citations,
          decisionReasons: record.reasons,
          retrievalTrace: record.trace,
        })
        .onConflict(['testRunId', 'questionId'])
        .ignore();
    },

    /** Counts the run's results and marks it completed; the organization's pass-rate gauge follows. */
    async finishTestRun(input: { organizationId: string; runId: string }): Promise<TestRunSummary> {
      const summary = await summarizeRun(knex, input.organizationId, input.runId);
      await TestRun.query(knex)
        .forOrganization(input.organizationId)
        .patch({
          status: 'completed',
          passed: summary.passed,
          failed: summary.failed,
          missingDocuments: summary.missingDocuments,
          finishedAt: new Date(),
        })
        .where('id', input.runId)
        .where('status', 'running');
      return summary;
    },

    /** The organization's test sets, for the runs after a knowledge change. */
    async startTestRunsAfterKnowledgeChange(input: { organizationId: string }): Promise<{ started: number }> {
      const sets = await TestSet.query(knex).forOrganization(input.organizationId).select('id');
      const { client, info } = Context.current();
      for (const set of sets) {
        await startTestRun(client, info.taskQueue, {
          organizationId: input.organizationId,
          testSetId: set.id,
          trigger: 'knowledge_change',
        });
      }
      return { started: sets.length };
    },
  };
}
