import type { JSONSchema } from 'objection';
import { TenantModel } from '../base-model';
import type { Citation, RetrievalTrace } from './conversation';

export const TEST_EXPECTATIONS = ['answer', 'abstain', 'escalate'] as const;
/** What a right reply to a test question does: answer (from the expected sources), abstain, or escalate. */
export type TestExpectation = (typeof TEST_EXPECTATIONS)[number];
export const TEST_RESULT_STATUSES = ['passed', 'failed', 'document_missing'] as const;
export type TestResultStatus = (typeof TEST_RESULT_STATUSES)[number];
export const TEST_RUN_TRIGGERS = ['manual', 'knowledge_change'] as const;
export type TestRunTrigger = (typeof TEST_RUN_TRIGGERS)[number];
export type TestRunStatus = 'running' | 'completed';

/** A source a right answer must cite, with its title when the question was written (it may be deleted since). */
export interface ExpectedDocument {
  documentId: string;
  title: string;
}

/** An organization's named list of questions in its customers' words (see src/services/test-sets.ts). */
export class TestSet extends TenantModel {
  static override tableName = 'test_sets';
  declare id: string;
  declare name: string;
  declare description: string;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['name'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      description: { type: 'string', maxLength: 2000 },
    },
  };
}

export class TestQuestion extends TenantModel {
  static override tableName = 'test_questions';
  declare id: string;
  declare testSetId: string;
  declare question: string;
  declare expectation: TestExpectation;
  declare expectedDocuments: ExpectedDocument[];
  /** Phrases the reply must contain (case-insensitive). */
  declare requiredPhrases: string[];
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['testSetId', 'question', 'expectation'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      testSetId: { type: 'string', format: 'uuid' },
      question: { type: 'string', minLength: 1, maxLength: 2000 },
      expectation: { type: 'string', enum: [...TEST_EXPECTATIONS] },
      expectedDocuments: { type: 'array' },
      requiredPhrases: { type: 'array', items: { type: 'string' } },
    },
  };
}

export class TestRun extends TenantModel {
  static override tableName = 'test_runs';
  /** The run id of the workflow that ran it (`test-run-<organizationId>-<testSetId>`). */
  declare id: string;
  declare testSetId: string;
  declare workflowId: string;
  declare trigger: TestRunTrigger;
  declare status: TestRunStatus;
  declare questionCount: number;
  declare passed: number;
  declare failed: number;
  declare missingDocuments: number;
  declare finishedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export class TestResult extends TenantModel {
  static override tableName = 'test_results';
  static override hasUpdatedAt = false;
  static override jsonAttributes = ['failures', 'citations', 'decisionReasons', 'retrievalTrace'];
  declare id: string;
  declare testRunId: string;
  declare questionId: string;
  declare question: string;
  declare expectation: TestExpectation;
  declare status: TestResultStatus;
  /** Why the reply is not right, written for people; empty when it passed. */
  declare failures: string[];
  declare expectedRank: number | null;
  declare outcome: string;
  declare reply: string;
  declare citations: Citation[];
  declare decisionReasons: string[];
  declare retrievalTrace: RetrievalTrace | null;
  declare createdAt: Date;
}
